using System.Globalization;
using System.Net;
using Losses.Engine.Config;
using Losses.Engine.Osc;
using Losses.Protocol;
using Losses.Platform.Cli;
using Losses.Protocol.Osc;

namespace Losses.Engine.Cli;

/// <summary>
/// `losses osc`: a reader of the engine's ring that sends every frame on as OSC. Like the
/// visualiser it only reads the ring, so it can start, stop or crash without the engine noticing,
/// and it follows an engine that restarts.
/// </summary>
internal static class OscCommand
{
    private const int PacketBytes = 8192;

    public static Command Command()
    {
        string ring = ProtocolInfo.DefaultRingName;
        var to = new List<IPEndPoint>();
        double rate = 60;
        bool blob = false, ldd = false, once = false;
        string sc = $"127.0.0.1:{LddMessages.SuperColliderPort}", of = $"127.0.0.1:{LddMessages.OpenFrameworksPort}";
        string? configPath = null;
        double timeout = double.PositiveInfinity;
        return new Command("osc", "", "send the frames of a live ring as OSC over UDP (docs/osc.md)",
            () => Run(ring, to, rate, blob, ldd, once, sc, of, configPath, timeout))
        {
            { "--ring", "NAME", "ring to read (default losses)", r => ring = r.Ring() },
            { "--to", "HOST:PORT", "where to send (repeatable)", r => to.Add(Endpoint(r.Value())) },
            { "--rate", "HZ", "continuous values at most this often (default 60; 0 = every frame)", r => rate = Rate(r.Value()) },
            { "--frame-blob", "also send every whole frame as /losses/frame (remote visualiser)", () => blob = true },
            { "--ldd", "the original's messages: sclang :57120, openFrameworks :12345", () => ldd = true },
            { "--ldd-sc", "HOST:PORT", "where the original's sclang listens (default 127.0.0.1:57120)", r => { sc = r.Value(); ldd = true; } },
            { "--ldd-of", "HOST:PORT", "where the original's openFrameworks app listens (default 127.0.0.1:12345)", r => { of = r.Value(); ldd = true; } },
            { "--config", "FILE", "the engine's config (its note splits)", r => configPath = r.Path() },
            { "--timeout", "SECONDS", "stop when no frame has arrived for this long", r => timeout = r.Seconds() },
            { "--once", "stop when the engine stops (one engine run)", () => once = true },
        };
    }

    private static int Run(string ring, List<IPEndPoint> to, double rate, bool blob, bool ldd, bool once, string sc, string of, string? configPath, double timeout)
    {
        if (to.Count == 0 && !ldd) throw new UsageException("osc: give at least one --to HOST:PORT (or --ldd for the original's programs)");
        EngineConfig config = configPath is null ? EngineConfig.Default : EngineConfig.Load(configPath);

        using var sender = new OscSender(to);
        using OscSender? superCollider = ldd ? new OscSender([Endpoint(sc)]) : null;
        using OscSender? openFrameworks = ldd ? new OscSender([Endpoint(of)]) : null;
        var messages = new FrameMessages(rate);
        var original = new LddMessages(config.Piece.BassSplit, config.Piece.ChordSplit, config.Piece.PartPedalController);
        byte[] packet = new byte[PacketBytes];

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        // A running engine is joined at its next frame; one that starts later is read from its first.
        using FrameRingReader reader = FrameRingReader.Open(ring, RingJoin.Latest);
        string where = string.Join(", ", to.Select(e => e.ToString()).Concat(ldd ? [$"sclang {sc}", $"openFrameworks {of}"] : []));
        Console.Error.WriteLine($"osc from ring '{ring}' to {where}; continuous values at {(rate > 0 ? rate.ToString(CultureInfo.InvariantCulture) + " Hz" : "every frame")}{(blob ? "; whole frames as /losses/frame" : "")}");

        var lines = new RingFollowLines(reader);
        long bundles = 0, tooBig = 0;
        long lastFrameMs = Environment.TickCount64;
        while (!stop.IsCancellationRequested)
        {
            bool any = false;
            while (reader.TryRead(out Frame f))
            {
                any = true;
                lines.AfterFrame();
                OscTimeTag time = messages.TimeTag(f, reader.Generation);
                bool continuous = messages.ContinuousDue(f);
                if (to.Count > 0)
                {
                    var w = new OscWriter(packet);
                    if (messages.Write(ref w, f, time, continuous)) Send(sender, ref w, ref bundles, ref tooBig);
                    if (blob)
                    {
                        w = new OscWriter(packet);
                        w.BeginBundle(time);
                        FrameBlob.Write(ref w, f);
                        w.EndBundle();
                        Send(sender, ref w, ref bundles, ref tooBig);
                    }
                }
                if (ldd)
                {
                    var w = new OscWriter(packet);
                    if (original.WriteSuperCollider(ref w, f, time, continuous)) Send(superCollider!, ref w, ref bundles, ref tooBig);
                    w = new OscWriter(packet);
                    if (original.WriteOpenFrameworks(ref w, f, time)) Send(openFrameworks!, ref w, ref bundles, ref tooBig);
                }
            }
            lines.AfterPoll();
            if (any) lastFrameMs = Environment.TickCount64;
            else
            {
                if (once && reader.Seen > 0 && reader.State == RingState.Stopped) break;
                // The timeout runs from the last frame: waiting for an engine to start is not idle.
                if (reader.Seen > 0 && (Environment.TickCount64 - lastFrameMs) / 1000.0 > timeout) break;
                Thread.Sleep(1);
            }
        }
        long failures = sender.Failures + (superCollider?.Failures ?? 0) + (openFrameworks?.Failures ?? 0);
        long bytes = sender.Bytes + (superCollider?.Bytes ?? 0) + (openFrameworks?.Bytes ?? 0);
        Console.Error.WriteLine($"{reader.Seen} frames read, {reader.Lost} lost; {bundles} bundles sent ({bytes} bytes), {failures} sends failed (nobody listening?){(tooBig > 0 ? $", {tooBig} too big" : "")}");
        return 0;
    }

    private static void Send(OscSender sender, ref OscWriter w, ref long bundles, ref long tooBig)
    {
        if (w.Failed) { tooBig++; return; }
        sender.Send(w.Packet);
        bundles++;
    }

    private static IPEndPoint Endpoint(string text)
    {
        if (!OscEndpoint.TryParse(text, out IPEndPoint endpoint, out string problem)) throw new UsageException($"osc: {problem}");
        return endpoint;
    }

    private static double Rate(string text)
    {
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double hz) || !(hz >= 0) || hz > 100_000)
            throw new UsageException($"osc: --rate must be a number of Hz in 0..100000 (0: every frame), not '{text}'");
        return hz;
    }
}
