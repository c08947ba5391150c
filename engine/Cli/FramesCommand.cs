using System.Globalization;
using System.Text;
using Losses.Protocol;
using Losses.Platform.Cli;

namespace Losses.Engine.Cli;

/// <summary>`frames` and `watch`: frames as text or CSV, from a frame log or a live ring — what to reach for when the visuals look wrong.</summary>
internal static class FramesCommand
{
    private const string CsvHeader =
        "index,seconds,part,model,flags,loss,detune,targetSteps,totalSteps,cubicTargets,knotTargets," +
        "target0,target1,target2,target3,theta0,theta1,theta2,theta3,grad0,grad1,grad2,grad3,knotN,voices,peakL,peakR,heldNotes,noteOns";

    public static Command Print()
    {
        string? path = null;
        bool csv = false;
        return new Command("frames", "FILE.frames", "print the frames of a frame log", () =>
        {
            if (path is null) throw new UsageException("frames: give a frame log (losses frames OUT.frames)");
            using FrameLogReader log = FrameLogReader.Open(path);
            var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
            if (csv) output.WriteLine(CsvHeader);
            foreach (Frame f in log.ReadAll()) output.WriteLine(csv ? Csv(f) : Text(f));
            if (!csv) output.WriteLine($"{log.Count} frames, {log.SampleRate} Hz");
            output.Flush();
            return 0;
        })
        {
            { "FILE.frames", null, "the frame log (render --frames, live --record)", r => path = path is null ? r.Path("frame log") : throw r.Error($"one frame log at a time ('{path}' and '{r.Value()}' given)") },
            { "--csv", "as CSV", () => csv = true },
        };
    }

    public static Command Watch()
    {
        string ring = ProtocolInfo.DefaultRingName;
        bool csv = false;
        long count = long.MaxValue;
        double timeout = double.PositiveInfinity;
        return new Command("watch", "", "print the frames of a live ring as they arrive", () => Follow(ring, csv, count, timeout))
        {
            { "--ring", "NAME", "ring to read (default losses)", r => ring = r.Ring() },
            { "--csv", "as CSV", () => csv = true },
            { "--count", "N", "stop after N frames", r => count = r.Int(1, int.MaxValue) },
            { "--timeout", "SECONDS", "stop when no frame arrives for this long", r => timeout = r.Seconds() },
        };
    }

    private static int Follow(string ring, bool csv, long count, double timeout)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        using FrameRingReader reader = FrameRingReader.Open(ring);
        var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
        if (csv) output.WriteLine(CsvHeader);
        var lines = new RingFollowLines(reader);
        long shown = 0;
        long lastFrameMs = Environment.TickCount64;
        bool timedOut = false, found = false;
        while (!stop.IsCancellationRequested && shown < count)
        {
            bool any = false;
            while (shown < count && reader.TryRead(out Frame f))
            {
                any = true;
                lines.AfterFrame();
                output.WriteLine(csv ? Csv(f) : Text(f));
                shown++;
            }
            lines.AfterPoll();
            found |= reader.State != RingState.WaitingForEngine;
            if (any)
            {
                output.Flush();
                lastFrameMs = Environment.TickCount64;
            }
            else
            {
                if ((Environment.TickCount64 - lastFrameMs) / 1000.0 > timeout)
                {
                    timedOut = true;
                    break;
                }
                Thread.Sleep(2);
            }
        }
        output.Flush();
        Console.Error.WriteLine($"{reader.Seen} frames read, {reader.Lost} dropped");
        // A ring that never appeared is a failure a script must see (a misspelt --ring, no engine);
        // an engine that stopped or was killed after it appeared is what the timeout is for.
        if (timedOut && !found)
        {
            Console.Error.WriteLine($"losses: watch: no engine appeared on ring '{ring}' within {timeout.ToString("0.###", CultureInfo.InvariantCulture)} s: start one (losses live, or losses render IN.mid -o OUT.wav --ring {ring} --realtime), or check the --ring name");
            return ExitCode.Failed;
        }
        return ExitCode.Done;
    }

    private static string Text(in Frame f)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(160);
        sb.Append(inv, $"#{f.Index,-7} {Seconds(f),9:0.0000}s part {f.Part} {Model(f),-5} loss {f.Loss,10:0.000000} detune {f.Detune:0.0000} ");
        sb.Append(inv, $"steps {f.TargetSteps,4}/{f.TotalSteps,-6} targets {f.CubicTargets}c/{f.KnotTargets}k ");
        int n = f.Model == FrameModel.Knot ? 3 : 4;
        sb.Append("θ [").Append(Join(f.Theta, n)).Append("] ∇ [").Append(Join(f.Gradient, n)).Append(']');
        if (f.Model == FrameModel.Knot) sb.Append(inv, $" n {f.KnotN[0]},{f.KnotN[1]},{f.KnotN[2]}");
        sb.Append(inv, $" voices {f.Voices}");
        if (f.Flags != FrameFlags.None) sb.Append(inv, $" {f.Flags}");
        for (int i = 0; i < f.NoteOnCount && i < Frame.MaxNoteOns; i++) sb.Append(inv, $" on:{f.NoteOns[i].Note}/{f.NoteOns[i].Velocity}");
        return sb.ToString();
    }

    private static string Csv(in Frame f)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder(256);
        sb.Append(inv, $"{f.Index},{Seconds(f):0.000000},{f.Part},{Model(f)},{(int)f.Flags},{f.Loss:R},{f.Detune:R},{f.TargetSteps},{f.TotalSteps},{f.CubicTargets},{f.KnotTargets}");
        for (int i = 0; i < 4; i++) sb.Append(inv, $",{f.Target[i]:R}");
        for (int i = 0; i < 4; i++) sb.Append(inv, $",{f.Theta[i]:R}");
        for (int i = 0; i < 4; i++) sb.Append(inv, $",{f.Gradient[i]:R}");
        sb.Append(inv, $",{f.KnotN[0]} {f.KnotN[1]} {f.KnotN[2]},{f.Voices},{f.PeakLeft:R},{f.PeakRight:R},");
        bool first = true;
        for (int note = 0; note < 128; note++)
        {
            if (f.Velocities[note] == 0) continue;
            if (!first) sb.Append(' ');
            sb.Append(inv, $"{note}:{f.Velocities[note]}");
            first = false;
        }
        sb.Append(',');
        for (int i = 0; i < f.NoteOnCount && i < Frame.MaxNoteOns; i++)
            sb.Append(inv, $"{(i > 0 ? " " : "")}{f.NoteOns[i].Note}:{f.NoteOns[i].Velocity}@{f.NoteOns[i].SampleTime}");
        return sb.ToString();
    }

    private static double Seconds(in Frame f) => f.SampleRate > 0 ? (double)f.SampleTime / f.SampleRate : 0;

    private static string Model(in Frame f) => f.Model switch { FrameModel.Cubic => "cubic", FrameModel.Knot => "knot", _ => "-" };

    private static string Join(Float4 values, int n)
    {
        var inv = CultureInfo.InvariantCulture;
        var parts = new string[n];
        for (int i = 0; i < n; i++) parts[i] = values[i].ToString("+0.0000;-0.0000", inv);
        return string.Join(' ', parts);
    }
}
