using System.Diagnostics;
using Losses.Engine.Midi;
using Losses.Tests.Cli;
using Losses.Visualiser.Video;
using OpenCvSharp;

namespace Losses.Tests.Visualiser;

/// <summary>The real visualiser executable beside the tests, the videos and MIDI the tests make, and pixel helpers.</summary>
public static class VisualiserKit
{
    public static EngineCli.Outcome Run(params string[] args) => Run(null, args);

    public static EngineCli.Outcome Run(IDictionary<string, string>? environment, params string[] args)
    {
        using Process process = Start(environment, args);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(4)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"losses visualise {string.Join(' ', args)} did not finish");
        }
        return new EngineCli.Outcome(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static Process Start(IDictionary<string, string>? environment, params string[] args) => StartDll("losses-visualiser.dll", environment, args);

    public static Process StartDll(string dll, IDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (string a in args) start.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (key, value) in environment) start.Environment[key] = value;
        return Process.Start(start)!;
    }

    /// <summary>A small MJPG video made with OpenCV: the generated pattern, <paramref name="frames"/> frames at 15 fps.</summary>
    public static string MakeVideo(string dir, int width = 160, int height = 90, int frames = 15)
    {
        string path = Path.Combine(dir, "performer.avi");
        using var writer = new VideoWriter(path, FourCC.MJPG, 15, new Size(width, height));
        Assert.True(writer.IsOpened(), "OpenCV cannot write MJPG here");
        using var image = new Mat(height, width, MatType.CV_8UC3);
        for (int i = 0; i < frames; i++)
        {
            GeneratedFeed.Draw(image, i / 15.0);
            writer.Write(image);
        }
        return path;
    }

    /// <summary>
    /// A short performance: part 1 (a bass note = a cubic target, upper notes = steps), the soft
    /// pedal three times to part 4, more notes (bubbles). About <paramref name="seconds"/> long.
    /// </summary>
    public static string MakeMidi(string dir, double seconds = 3, bool toPart4 = true)
    {
        const int ppq = 480; // 120 bpm: a beat is half a second
        var events = new List<TickedMidiEvent>();
        long Tick(double s) => (long)Math.Round(s * 2 * ppq);
        events.Add(TickedMidiEvent.NoteOn(Tick(0.05), 36, 90));
        events.Add(TickedMidiEvent.NoteOff(Tick(0.3), 36));
        double half = seconds / 2;
        for (double t = 0.2; t < half; t += 0.15)
        {
            events.Add(TickedMidiEvent.NoteOn(Tick(t), 64 + (int)(t * 10) % 12, 80));
            events.Add(TickedMidiEvent.NoteOff(Tick(t + 0.1), 64 + (int)(t * 10) % 12));
        }
        if (toPart4)
        {
            for (int i = 0; i < 3; i++)
            {
                events.Add(TickedMidiEvent.Control(Tick(half + 0.02 * i), 67, 127));
                events.Add(TickedMidiEvent.Control(Tick(half + 0.02 * i + 0.01), 67, 0));
            }
            events.Add(TickedMidiEvent.NoteOn(Tick(half + 0.1), 40, 90));
            events.Add(TickedMidiEvent.NoteOff(Tick(half + 0.3), 40));
            for (double t = half + 0.2; t < seconds; t += 0.15)
            {
                events.Add(TickedMidiEvent.NoteOn(Tick(t), 67 + (int)(t * 10) % 12, 80));
                events.Add(TickedMidiEvent.NoteOff(Tick(t + 0.1), 67 + (int)(t * 10) % 12));
            }
        }
        string path = Path.Combine(dir, "short.mid");
        File.WriteAllBytes(path, new StandardMidiFileWriter(ppq).AddTrack(events, endTick: Tick(seconds)).ToArray());
        return path;
    }

    /// <summary>Renders <paramref name="midi"/> with the real engine into a frame log.</summary>
    public static string RenderFrames(string dir, string midi)
    {
        string frames = Path.Combine(dir, "short.frames");
        EngineCli.Outcome r = EngineCli.Run("render", midi, "-o", Path.Combine(dir, "short.wav"), "--frames", frames);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return frames;
    }

    public static Vec3b Pixel(Mat bgr, int x, int y) => bgr.At<Vec3b>(y, x);

    /// <summary>Whether a pixel within <paramref name="radius"/> of <paramref name="p"/> passes <paramref name="test"/>.</summary>
    public static bool Near(Mat image, System.Numerics.Vector2 p, int radius, Func<Vec3b, bool> test)
    {
        for (int dy = -radius; dy <= radius; dy++)
            for (int dx = -radius; dx <= radius; dx++)
            {
                int x = (int)MathF.Floor(p.X) + dx, y = (int)MathF.Floor(p.Y) + dy;
                if (x >= 0 && y >= 0 && x < image.Width && y < image.Height && test(Pixel(image, x, y))) return true;
            }
        return false;
    }

    /// <summary>The single line an error must be: starts "losses: ", one line.</summary>
    public static void AssertOneLineError(EngineCli.Outcome r, string contains)
    {
        Assert.NotEqual(0, r.ExitCode);
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got: {r.Stderr}");
        Assert.StartsWith("losses: ", lines[0]);
        Assert.Contains(contains, lines[0]);
    }
}
