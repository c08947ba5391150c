using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Live;

namespace Losses.Tests.Osc;

/// <summary>The commands OSC-in sends through LiveCore, on a real processor: part, new target, and their order within one cycle.</summary>
public class OscCommandPathTests
{
    private static (LossesProcessor, LiveCore) Engine()
    {
        var processor = new LossesProcessor(EngineConfig.Default, 1);
        processor.Prepare(48000, 8192);
        return (processor, new LiveCore(processor));
    }

    private static float Cycles(LiveCore core, int count)
    {
        var left = new float[64];
        var right = new float[64];
        float peak = 0;
        for (int i = 0; i < count; i++)
        {
            core.Cycle(left, right, 64 / 48000.0);
            foreach (float x in left) peak = MathF.Max(peak, MathF.Abs(x));
            foreach (float x in right) peak = MathF.Max(peak, MathF.Abs(x));
        }
        return peak;
    }

    [Fact]
    public void A_part_then_a_new_target_in_one_cycle_draw_the_new_parts_model_silently()
    {
        var (processor, core) = Engine();
        core.RequestPart(2);
        core.RequestNewTarget();
        float peak = Cycles(core, 200);
        Assert.Equal(2, processor.Piece.Part);
        Assert.Equal(1, processor.Piece.TargetsOf("knot"));
        Assert.Equal(0, processor.Piece.TargetsOf("cubic"));
        Assert.True(peak < 1e-3f, $"the silent keys sounded at {peak}");

        core.RequestPart(4);
        Cycles(core, 1);
        core.RequestNewTarget();
        Cycles(core, 1);
        Assert.Equal(4, processor.Piece.Part);
        Assert.Equal(1, processor.Piece.TargetsOf("cubic"));
    }

    [Fact]
    public void Next_and_a_part_in_one_cycle_end_on_the_part_asked_for_and_a_part_out_of_range_is_ignored()
    {
        var (processor, core) = Engine();
        core.RequestNextPart();
        core.RequestPart(4);
        Cycles(core, 1);
        Assert.Equal(4, processor.Piece.Part);
        core.RequestPart(9);
        core.RequestPart(0);
        Cycles(core, 1);
        Assert.Equal(4, processor.Piece.Part);
        core.RequestPart(4); // already there: no pedal at all
        Cycles(core, 1);
        Assert.Equal(4, processor.Piece.Part);
        Assert.Equal(3, processor.Piece.PartChanges); // 1 → 2 (next), 2 → 3 → 4 (part 4), none for 9, 0 or 4 again
    }
}
