using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Live;

namespace Losses.Tests.Live;

/// <summary>
/// The performer's console keys (n: next part, p: panic) reach the processor as MIDI at offset 0
/// of the next cycle, ahead of that cycle's own events, and the recording holds them — driven
/// cycle by cycle as a backend would, without a sound card.
/// </summary>
public class ConsoleKeyTests
{
    private const int Rate = 48_000, Block = 64;
    private static readonly double Period = Block / (double)Rate;

    private static LiveCore Prepared()
    {
        var processor = new LossesProcessor(EngineConfig.Default, seed: 1);
        processor.Prepare(Rate, Block);
        return new LiveCore(processor);
    }

    private static void Cycle(LiveCore core)
    {
        var left = new float[Block];
        var right = new float[Block];
        core.Cycle(left, right, Period);
    }

    private static List<RecordedMidi> Drain(LiveCore core)
    {
        var list = new List<RecordedMidi>();
        while (core.Recording.TryDequeue(out RecordedMidi m)) list.Add(m);
        return list;
    }

    [Fact]
    public void Next_part_is_a_soft_pedal_press_at_offset_zero_before_the_cycles_own_events()
    {
        LiveCore core = Prepared();
        Cycle(core); // sample clock at one block
        Assert.Equal(1, core.Processor.Piece.Part);

        core.AddEvent(10, 0x90, 72, 100);
        core.RequestNextPart();
        Cycle(core);

        Assert.Equal(2, core.Processor.Piece.Part);
        Assert.Equal(
            [new RecordedMidi(Block, 0xB0, 67, 127), new RecordedMidi(Block, 0xB0, 67, 0), new RecordedMidi(Block + 10, 0x90, 72, 100)],
            Drain(core));

        Cycle(core); // a request acts once
        Assert.Equal(2, core.Processor.Piece.Part);
        Assert.Empty(Drain(core));
    }

    [Fact]
    public void Four_next_part_requests_come_back_to_part_one()
    {
        LiveCore core = Prepared();
        foreach (int expected in new[] { 2, 3, 4, 1 })
        {
            core.RequestNextPart();
            Cycle(core);
            Assert.Equal(expected, core.Processor.Piece.Part);
        }
        Assert.Equal(8, Drain(core).Count);
    }

    [Fact]
    public void Presses_within_one_cycle_all_act_and_a_panic_beside_them_comes_first()
    {
        LiveCore core = Prepared();
        core.RequestNextPart();
        core.RequestPanic();
        core.RequestNextPart(); // two presses between two cycles (a fast double tap, or two OSC messages)
        Cycle(core);
        Assert.Equal(3, core.Processor.Piece.Part);
        Assert.Equal(
            [new RecordedMidi(0, 0xB0, 123, 0),
             new RecordedMidi(0, 0xB0, 67, 127), new RecordedMidi(0, 0xB0, 67, 0),
             new RecordedMidi(0, 0xB0, 67, 127), new RecordedMidi(0, 0xB0, 67, 0)],
            Drain(core));
    }

    [Fact]
    public void Panic_is_all_notes_off_at_offset_zero_and_releases_every_sounding_voice()
    {
        LiveCore core = Prepared();
        core.AddEvent(0, 0x90, 36, 100);  // a bass note: a new target
        core.AddEvent(5, 0x90, 72, 100);
        core.AddEvent(9, 0x90, 76, 100);
        Cycle(core);
        var voices = core.Processor.Voices;
        Assert.Equal(3, voices.ActiveVoices);
        Assert.Equal(0, Enumerable.Range(0, voices.Capacity).Count(voices.IsReleased));

        core.AddEvent(20, 0x90, 79, 100); // after the panic in the same cycle: still sounds
        core.RequestPanic();
        Cycle(core);

        var sounding = Enumerable.Range(0, voices.Capacity).Where(voices.IsSounding).ToArray();
        Assert.Equal(4, sounding.Length);
        Assert.Equal(3, sounding.Count(voices.IsReleased));
        List<RecordedMidi> recorded = Drain(core);
        Assert.Equal(new RecordedMidi(Block, 0xB0, 123, 0), recorded[3]);
        Assert.Equal(new RecordedMidi(Block + 20, 0x90, 79, 100), recorded[4]);
        Assert.Equal(5, recorded.Count);
    }
}
