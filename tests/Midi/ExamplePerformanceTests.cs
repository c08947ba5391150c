using Losses.Engine.Midi;

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

    [Fact]
    public void Demo_has_the_documented_contents()
    {
        const int rate = 48_000;
        var p = MidiPerformance.Parse(ExamplePerformance.Create(), "demo.mid", rate);
        Assert.Equal(1, p.Format);
        Assert.Equal(ExamplePerformance.ExpectedNoteOns, p.NoteOnCount);
        Assert.Equal(ExamplePerformance.ExpectedDurationSeconds, p.DurationSeconds, 9);
        Assert.InRange(p.DurationSeconds, 40, 60);
        Assert.All(p.Events, e => Assert.Equal(0, e.Status & 0x0F));
        Assert.Equal(ExamplePerformance.ExpectedSustainPresses, p.Events.Count(e => e.Status == 0xB0 && e.Data1 == 64 && e.Data2 == 127));

        // Replay the default mappings of the piece, simply, on the parsed events.
        int part = 1, cubicTargets = 0, keySteps = 0, knotTargets = 0, partChanges = 0;
        bool haveCubic = false;
        double lastKnot = double.NegativeInfinity;
        var heldLow = new HashSet<int>();
        var chordCounted = false;
        foreach (var e in p.Events)
        {
            double t = e.SampleTime / (double)rate;
            int kind = e.Status & 0xF0;
            if (kind == 0xB0 && e.Data1 == 67 && e.Data2 == 127)
            {
                part = part % 4 + 1;
                partChanges++;
                haveCubic = false;
                heldLow.Clear();
            }
            else if (kind == 0x90 && e.Data2 > 0)
            {
                if (part is 1 or 4)
                {
                    if (e.Data1 < 48) { cubicTargets++; haveCubic = true; }
                    else if (haveCubic) keySteps++;
                }
                else if (e.Data1 < 60)
                {
                    heldLow.Add(e.Data1);
                    if (heldLow.Count >= 2 && !chordCounted && t - lastKnot >= 2)
                    {
                        knotTargets++;
                        lastKnot = t;
                        chordCounted = true;
                    }
                }
            }
            else if (kind == 0x80 || (kind == 0x90 && e.Data2 == 0))
            {
                heldLow.Remove(e.Data1);
                if (heldLow.Count < 2)
                    chordCounted = false;
            }
        }
        Assert.Equal(4, part);
        Assert.Equal(ExamplePerformance.ExpectedPartChanges, partChanges);
        Assert.Equal(ExamplePerformance.ExpectedCubicTargets, cubicTargets);
        Assert.Equal(ExamplePerformance.ExpectedKeyPressSteps, keySteps);
        Assert.Equal(ExamplePerformance.ExpectedKnotTargets, knotTargets);
    }
}
