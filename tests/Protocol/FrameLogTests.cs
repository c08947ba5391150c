using System.Text.Json;
using Losses.Protocol;
using Losses.Tests.Cli;

namespace Losses.Tests.Protocol;

public class FrameLogTests
{
    [Fact]
    public void A_render_with_frames_agrees_with_its_summary_and_is_byte_identical_run_to_run()
    {
        string dir = EngineCli.TempDir();
        string a = Path.Combine(dir, "a.frames"), b = Path.Combine(dir, "b.frames"), json = Path.Combine(dir, "a.json");
        EngineCli.Outcome o = EngineCli.Run("render", TestFiles.FourParts, "-o", Path.Combine(dir, "a.wav"), "--frames", a, "--summary-json", json);
        Assert.True(o.ExitCode == 0, o.Stderr);
        Assert.Equal(0, EngineCli.Run("render", TestFiles.FourParts, "-o", Path.Combine(dir, "b.wav"), "--frames", b).ExitCode);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));

        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(json));
        JsonElement root = summary.RootElement;
        using FrameLogReader log = FrameLogReader.Open(a);
        Frame[] frames = log.ReadAll().ToArray();
        Assert.Equal(root.GetProperty("framesPublished").GetInt64(), frames.Length);
        Frame last = frames[^1];
        Assert.Equal(root.GetProperty("gradientSteps").GetInt64(), last.TotalSteps);
        Assert.Equal(root.GetProperty("cubicTargets").GetInt32(), last.CubicTargets);
        Assert.Equal(root.GetProperty("knotTargets").GetInt32(), last.KnotTargets);
        Assert.Equal(Enumerable.Range(0, frames.Length).Select(i => (long)i), frames.Select(f => f.Index));
        Assert.Equal(root.GetProperty("notes").GetInt32(), frames.Sum(f => f.NoteOnCount));
        Assert.Equal(root.GetProperty("partChanges").GetInt32(), frames.Count(f => f.Flags.HasFlag(FrameFlags.PartChanged)));

        // Each target's last frame carries the loss and step count the summary reports for it.
        JsonElement[] targets = root.GetProperty("targets").EnumerateArray().ToArray();
        for (int k = 1; k <= targets.Length; k++)
        {
            FrameModel model = targets[k - 1].GetProperty("model").GetString() == "cubic" ? FrameModel.Cubic : FrameModel.Knot;
            Frame end = frames.Last(f => f.CubicTargets + f.KnotTargets == k && f.Model == model);
            Assert.Equal(targets[k - 1].GetProperty("finalLoss").GetSingle(), end.Loss);
            Assert.Equal(targets[k - 1].GetProperty("steps").GetInt64(), end.TargetSteps);
        }

        // Frames come at every step and at least once a block (64 samples).
        for (int i = 1; i < frames.Length; i++) Assert.InRange(frames[i].SampleTime - frames[i - 1].SampleTime, 0, 64);
        Assert.Equal(last.TotalSteps, frames.Count(f => f.Flags.HasFlag(FrameFlags.Stepped)));
    }

    [Fact]
    public void Cubic_frames_carry_the_points_the_engine_trains_on()
    {
        string dir = EngineCli.TempDir();
        string frames = Path.Combine(dir, "f.frames");
        Assert.Equal(0, EngineCli.Run("render", TestFiles.FourParts, "-o", Path.Combine(dir, "f.wav"), "--frames", frames).ExitCode);
        using FrameLogReader log = FrameLogReader.Open(frames);
        Frame cubic = log.ReadAll().First(f => f.Model == FrameModel.Cubic && f.TargetSteps > 0);
        Assert.Equal(100, cubic.PointCount);
        for (int i = 0; i < cubic.PointCount; i++) Assert.InRange(cubic.Points[i], -1f, 1f);
        Assert.True(Enumerable.Range(0, 100).Select(i => cubic.Points[i]).Distinct().Count() > 90);
    }

    [Fact]
    public void A_cut_short_or_foreign_log_is_refused_with_one_line()
    {
        string dir = EngineCli.TempDir();
        string good = Path.Combine(dir, "good.frames");
        using (var w = new FrameLogWriter(good, 48000))
        {
            Frame f = default;
            for (int i = 0; i < 3; i++) w.Publish(in f);
            w.Commit();
        }
        using (FrameLogReader r = FrameLogReader.Open(good)) Assert.Equal(3, r.Count);

        string cut = Path.Combine(dir, "cut.frames");
        byte[] bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(cut, bytes[..^10]);
        Assert.Contains("truncated", Assert.Throws<FrameLogException>(() => FrameLogReader.Open(cut)).Message);

        string foreign = Path.Combine(dir, "foreign.frames");
        File.WriteAllText(foreign, new string('x', 5000));
        Assert.Contains("not a Losses frame log", Assert.Throws<FrameLogException>(() => FrameLogReader.Open(foreign)).Message);

        EngineCli.Outcome o = EngineCli.Run("frames", cut);
        Assert.Equal(1, o.ExitCode);
        Assert.Single(o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void The_frames_command_prints_one_line_per_frame_and_csv_parses()
    {
        string dir = EngineCli.TempDir();
        string frames = Path.Combine(dir, "f.frames");
        Assert.Equal(0, EngineCli.Run("render", TestFiles.FourParts, "-o", Path.Combine(dir, "f.wav"), "--frames", frames).ExitCode);
        EngineCli.Outcome csv = EngineCli.Run("frames", frames, "--csv");
        Assert.Equal(0, csv.ExitCode);
        string[] lines = csv.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using FrameLogReader log = FrameLogReader.Open(frames);
        Assert.Equal(log.Count + 1, lines.Length);
        int columns = lines[0].Split(',').Length;
        Assert.All(lines, l => Assert.Equal(columns, l.Split(',').Length));
    }
}
