using System.Diagnostics;
using Losses.Platform;
using Losses.Protocol;

namespace Losses.Visualiser.Modes;

/// <summary>
/// `--listen [ADDR:]PORT -o OUT`: the frames a remote engine sends as /losses/frame, spooled to disk
/// as a frame log while they arrive (memory stays bounded however long the set: the frames between
/// the window of <see cref="CaptureOrder"/> live on disk, as `render --frames` writes them), until
/// the sender goes quiet — or Ctrl-C / SIGTERM ends the capture — then rendered exactly as a frame
/// log is (<see cref="OfflineRender"/>): the same frames make the same pictures wherever they came
/// from. Reordered, repeated, stray and bad frames are dropped and counted; none ends the capture,
/// and whatever arrived is rendered.
/// </summary>
public sealed class RemoteCapture
{
    public required System.Net.IPEndPoint Listen { get; init; }
    public Protocol.Osc.OscSenders Senders { get; init; } = Protocol.Osc.OscSenders.LoopbackOnly;
    public required string OutputPath { get; init; }
    /// <summary>How long to wait for the first frame.</summary>
    public double WaitSeconds { get; init; } = 60;
    public required Func<string, OfflineRender> Render { get; init; }
    /// <summary>The sender is done when no frame has come for this long (a busy sender may pause).</summary>
    public double QuietSeconds { get; init; } = 3;
    /// <summary>The longest performance captured: frames later than this are bad (dropped), as a frame log's would be refused.</summary>
    public double MaxSeconds { get; init; } = Limits.DefaultMaxSeconds;
    /// <summary>The most frames spooled (a day at 60 a second, 5.4 GB): a flood beyond it ends the capture, which is rendered.</summary>
    public long MaxFrames { get; init; } = 86400L * 60;

    public int Run()
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(OutputPath)) ?? ".";
        if (!Directory.Exists(dir)) throw new VisualiserException($"-o {OutputPath}: folder {dir} does not exist");
        // The spool: a frame log beside the output, written as frames come, moved into place under a hidden
        // name when the capture ends, rendered, then removed (or removed unrendered if the capture fails).
        string log = Path.Combine(dir, $".{Path.GetFileName(OutputPath)}.{Environment.ProcessId}.frames");
        FrameLogWriter? spool = null;
        long tooLate = 0;
        bool full = false;
        try
        {
            var order = new CaptureOrder(
                f =>
                {
                    if ((double)f.SampleTime / f.SampleRate > MaxSeconds) { tooLate++; return; }
                    if (spool is not null && spool.Count >= MaxFrames) { full = true; return; }
                    spool ??= new FrameLogWriter(log, f.SampleRate);
                    spool.Publish(in f);
                },
                line =>
                {
                    Console.Error.WriteLine($"losses: {line}");
                    spool?.Dispose(); // the earlier run's spool is removed (a pending file never committed)
                    spool = null;
                });
            using (var source = new OscFrameSource(Listen, Senders))
            using (var interruption = new Interruption()) // Ctrl-C or SIGTERM ends the capture; what arrived is rendered
            {
                Console.Error.WriteLine($"losses: {source.Describe()}");
                var clock = Stopwatch.StartNew();
                double lastFrame = 0;
                while (!interruption.Token.IsCancellationRequested && !full)
                {
                    bool any = false;
                    while (source.TryReadAny(out Frame f))
                    {
                        order.Add(in f);
                        any = true;
                        lastFrame = clock.Elapsed.TotalSeconds;
                    }
                    if (source.Received > 0 && clock.Elapsed.TotalSeconds - lastFrame > QuietSeconds) break;
                    if (source.Received == 0 && clock.Elapsed.TotalSeconds > WaitSeconds)
                        throw new VisualiserException($"no frames arrived on UDP {source.Where} in {WaitSeconds:0} s{(source.LastProblem is null ? "" : $" (last packet: {source.LastProblem})")}{(source.Refused > 0 ? $"; {source.Refused} datagrams refused from senders not allowed (--allow)" : "")}: send them with losses osc --frame-blob --to THIS-HOST:{source.Port}");
                    if (!any) Thread.Sleep(1);
                }
                order.Finish();
                string why = interruption.Token.IsCancellationRequested ? "capture ended by a signal; " : full ? $"capture ended at {MaxFrames} frames (a flood?); " : "";
                Console.Error.WriteLine($"losses: {why}{source.Received} frames received, {order.Emitted - tooLate} kept; dropped: {order.Lost} lost on the way, {order.Late} late or repeated, {order.Strays} strays, {order.Bad + tooLate} bad (time going back, another rate, past {Limits.Duration(MaxSeconds)}); {source.Rejected} packets rejected, {source.Ignored} without a frame ignored, {source.Refused} refused (sender not allowed)");
            }
            if (spool is null || spool.Count == 0)
                throw new VisualiserException($"no frame could be kept of the {order.Late + order.Strays + order.Bad + tooLate} that arrived: nothing to render");
            spool.Commit();
            spool.Dispose();
            spool = null;
            return Render(log).Run();
        }
        finally
        {
            spool?.Dispose();
            File.Delete(log);
        }
    }
}
