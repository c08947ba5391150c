using System.Diagnostics;
using Losses.Protocol;

namespace Losses.Visualiser.Modes;

/// <summary>
/// `--listen PORT -o OUT`: the frames a remote engine sends as /losses/frame, kept until the sender
/// goes quiet, then rendered exactly as a frame log is (<see cref="OfflineRender"/>): the same
/// frames make the same pictures wherever they came from.
/// </summary>
public sealed class RemoteCapture
{
    public required int Port { get; init; }
    public required string OutputPath { get; init; }
    /// <summary>How long to wait for the first frame.</summary>
    public double WaitSeconds { get; init; } = 60;
    public required Func<string, OfflineRender> Render { get; init; }
    /// <summary>The sender is done when no frame has come for this long (a busy sender may pause).</summary>
    public double QuietSeconds { get; init; } = 3;

    public int Run()
    {
        var frames = new List<Frame>();
        using (var source = new OscFrameSource(Port))
        {
            Console.Error.WriteLine(source.Describe());
            var clock = Stopwatch.StartNew();
            long generation = 0;
            double lastFrame = 0;
            while (true)
            {
                bool any = false;
                while (source.TryRead(out Frame f))
                {
                    if (source.Generation != generation)
                    {
                        if (generation != 0) Console.Error.WriteLine("a new engine run began: keeping its frames only");
                        generation = source.Generation;
                        frames.Clear();
                    }
                    frames.Add(f);
                    any = true;
                    lastFrame = clock.Elapsed.TotalSeconds;
                }
                if (source.Seen > 0 && clock.Elapsed.TotalSeconds - lastFrame > QuietSeconds) break;
                if (source.Seen == 0 && clock.Elapsed.TotalSeconds > WaitSeconds)
                    throw new VisualiserException($"no frames arrived on UDP {Port} in {WaitSeconds:0} s{(source.LastProblem is null ? "" : $" (last packet: {source.LastProblem})")}: send them with losses osc --frame-blob --to THIS-HOST:{Port}");
                if (!any) Thread.Sleep(1);
            }
            Console.Error.WriteLine($"{source.Seen} frames received, {source.Lost} lost on the way, {source.Rejected} packets rejected, {source.Ignored} without a frame ignored");
        }

        string dir = Path.GetDirectoryName(Path.GetFullPath(OutputPath)) ?? ".";
        if (!Directory.Exists(dir)) throw new VisualiserException($"-o {OutputPath}: folder {dir} does not exist");
        string log = Path.Combine(dir, $".{Path.GetFileName(OutputPath)}.{Environment.ProcessId}.frames");
        try
        {
            using (var writer = new FrameLogWriter(log, frames[0].SampleRate))
            {
                foreach (Frame f in frames) writer.Publish(in f);
                writer.Commit();
            }
            return Render(log).Run();
        }
        finally
        {
            File.Delete(log);
        }
    }
}
