using Losses.Engine.Config;
using Losses.Engine.Learning;
using Losses.Engine.Midi;
using Losses.Engine.Parts;
using Losses.Tests.Audio;

namespace Losses.Tests.Midi;

public class ExamplePerformanceTests
{
    private static string DemoPath => Path.Combine(TestFiles.RepositoryRoot, "examples", "demo.mid");

    [Fact]
    public void Committed_demo_equals_the_generator()
    {
        byte[] created = ExamplePerformance.Create();
        // After changing the composition: ./losses example -o examples/demo.mid
        Assert.True(File.Exists(DemoPath), $"{DemoPath} is missing");
        Assert.Equal(created, File.ReadAllBytes(DemoPath));
    }

    [Fact]
    public void Create_is_deterministic()
    {
        Assert.Equal(ExamplePerformance.Create(), ExamplePerformance.Create());
    }

    // What the score (ExamplePerformance's remarks) says, counted by hand from the composition.
    private const int NoteOns = 75, SustainPresses = 4, PartChanges = 3;
    private const int CubicTargetsInPartOne = 3, CubicTargetsInPartFour = 1, KnotTargetsInPartTwo = 2, KnotTargetsInPartThree = 2;
    private const int UpperNotePressesInCubicParts = 36 + 11;
    private const double LastEventSeconds = 41.0;

    [Fact]
    public void Demo_has_the_documented_contents()
    {
        const int rate = 48_000;
        var p = MidiPerformance.Parse(ExamplePerformance.Create(), "demo.mid", rate);
        Assert.Equal(1, p.Format);
        Assert.Equal(NoteOns, p.NoteOnCount);
        Assert.Equal(LastEventSeconds, p.DurationSeconds, 9);
        Assert.All(p.Events, e => Assert.Equal(0, e.Status & 0x0F));
        Assert.Equal(SustainPresses, p.Events.Count(e => e.Status == 0xB0 && e.Data1 == 64 && e.Data2 == 127));
    }

    [Fact]
    public void Played_through_the_engine_the_demo_visits_the_parts_and_draws_the_targets_its_score_describes()
    {
        const int rate = 48_000;
        var p = MidiPerformance.Parse(ExamplePerformance.Create(), "demo.mid", rate);
        // No stopping threshold: every upper-note press in a cubic part is one gradient step.
        var config = EngineConfig.Default with { Learning = EngineConfig.Default.Learning with { StopLoss = 0 } };
        var piece = Rendering.Run(p.Events, (long)(p.DurationSeconds * rate) + 1, config: config, sampleRate: rate).Processor.Piece;

        Assert.Equal(4, piece.Part);
        Assert.Equal(PartChanges, piece.PartChanges);
        Assert.Equal(NoteOns, piece.NoteOns);
        TargetRecord[] targets = piece.Targets.ToArray();
        Assert.Equal(CubicTargetsInPartOne, targets.Count(t => t.Model == "cubic" && t.Part == 1));
        Assert.Equal(CubicTargetsInPartFour, targets.Count(t => t.Model == "cubic" && t.Part == 4));
        Assert.Equal(KnotTargetsInPartTwo, targets.Count(t => t.Model == "knot" && t.Part == 2));
        Assert.Equal(KnotTargetsInPartThree, targets.Count(t => t.Model == "knot" && t.Part == 3));
        Assert.Equal(targets.Length, piece.TargetsOf("cubic") + piece.TargetsOf("knot"));
        Assert.Equal(UpperNotePressesInCubicParts, targets.Where(t => t.Model == "cubic").Sum(t => t.Steps));
    }
}
