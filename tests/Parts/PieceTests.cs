using Losses.Engine.Config;
using Losses.Engine.Midi;
using static Losses.Tests.Audio.Rendering;

namespace Losses.Tests.Parts;

public class PieceTests
{
    private const int Rate = 48000;

    [Fact]
    public void Soft_pedal_presses_advance_the_part_one_two_three_four_one()
    {
        var parts = new List<int>();
        TimedMidiEvent[] events = Enumerable.Range(0, 4)
            .SelectMany(i => new[] { Cc(0.1 + i * 0.2, 67, 127), Cc(0.15 + i * 0.2, 67, 100), Cc(0.2 + i * 0.2, 67, 0) })
            .ToArray();
        Result r = Run(events, Rate, afterBlock: (p, _) => { if (parts.Count == 0 || parts[^1] != p.Piece.Part) parts.Add(p.Piece.Part); });
        Assert.Equal([1, 2, 3, 4, 1], parts);
        Assert.Equal(4, r.Processor.Piece.PartChanges);
    }

    [Fact]
    public void A_part_change_releases_every_voice_without_a_click_and_leaves_none_stuck()
    {
        TimedMidiEvent[] events = [On(0.1, 36), On(0.2, 60), On(0.2, 64), On(0.2, 67), On(0.2, 72), Cc(1.0, 67, 127), Cc(1.1, 67, 0),
            // the keys are let go after the change: nothing must restart or hang
            Off(1.5, 60), Off(1.5, 64), Off(1.5, 67), Off(1.5, 72), Off(1.6, 36)];
        int voicesBefore = 0;
        Result r = Run(events, 3 * Rate, afterBlock: (p, end) => { if (end <= Rate) voicesBefore = p.Voices.ActiveVoices; });
        Assert.Equal(5, voicesBefore);
        Assert.Equal(0, r.Processor.Voices.ActiveVoices);
        Assert.True(r.Processor.SilentSince is > 0 and < (long)(1.6 * Rate), $"silent from {r.Processor.SilentSince}");

        // No click: around the change the signal moves no faster than it did while the chord rang.
        double steadiest = MaxStep(r.Left, (int)(0.6 * Rate), (int)(0.99 * Rate));
        double atChange = MaxStep(r.Left, (int)(0.99 * Rate), (int)(1.2 * Rate));
        Assert.True(atChange <= steadiest * 1.05, $"largest step at the change {atChange}, while ringing {steadiest}");
    }

    [Fact]
    public void Velocity_zero_is_a_note_off_and_the_sustain_pedal_holds_notes()
    {
        TimedMidiEvent[] events =
        [
            On(0.1, 72), new((long)(0.3 * Rate), 0x90, 72, 0), // released by velocity 0
            Cc(0.4, 64, 127), On(0.5, 76), Off(0.6, 76),        // released under the pedal: still sounding
            Cc(1.5, 64, 0),                                      // pedal up: now it damps
        ];
        bool releasedAfterVelocityZero = false, heldByPedal = false;
        Result r = Run(events, 3 * Rate, afterBlock: (p, end) =>
        {
            if (end > 0.31 * Rate && end < 0.4 * Rate) releasedAfterVelocityZero = p.Voices.IsReleased(0);
            if (end > 1.0 * Rate && end < 1.4 * Rate) heldByPedal = p.Voices.IsSounding(1) && !p.Voices.IsReleased(1);
        });
        Assert.True(releasedAfterVelocityZero, "note-on with velocity 0 releases the note");
        Assert.True(heldByPedal, "the sustain pedal holds a released note");
        Assert.Equal(0, r.Processor.Voices.ActiveVoices);
    }

    [Fact]
    public void All_notes_off_releases_everything()
    {
        TimedMidiEvent[] events = [On(0.1, 40), On(0.1, 50), On(0.1, 70), Cc(0.5, 123, 0)];
        Result r = Run(events, 2 * Rate);
        Assert.Equal(0, r.Processor.Voices.ActiveVoices);
    }

    [Fact]
    public void Bass_notes_make_cubic_targets_in_parts_one_and_four_and_upper_notes_step()
    {
        TimedMidiEvent[] events = [On(0.1, 36), On(0.2, 60), On(0.3, 62), On(0.4, 40), On(0.5, 64)];
        Result r = Run(events, Rate);
        Assert.Equal(2, r.Processor.Piece.TargetsOf("cubic"));
        Assert.Equal(3, r.Processor.Piece.GradientSteps);
        Assert.Equal(0, r.Processor.Piece.TargetsOf("knot"));
    }

    [Fact]
    public void Chords_make_a_new_knot_only_two_seconds_after_the_last()
    {
        TimedMidiEvent[] events =
        [
            Cc(0.05, 67, 127), Cc(0.06, 67, 0),
            On(0.2, 45), On(0.2, 49), Off(0.5, 45), Off(0.5, 49),   // knot 1
            On(1.0, 47), On(1.0, 50), Off(1.3, 47), Off(1.3, 50),   // too soon: same knot
            On(2.5, 43), On(2.5, 47), Off(2.8, 43), Off(2.8, 47),   // knot 2
            On(3.0, 72), Off(3.2, 72),                              // an upper note alone: no knot
        ];
        Result r = Run(events, 4 * Rate);
        Assert.Equal(2, r.Processor.Piece.TargetsOf("knot"));
        Assert.Equal(0, r.Processor.Piece.TargetsOf("cubic"));
    }

    [Fact]
    public void Voices_are_stolen_when_the_polyphony_is_full()
    {
        var config = EngineConfig.Default with { Voice = EngineConfig.Default.Voice with { Polyphony = 4 } };
        TimedMidiEvent[] events = Enumerable.Range(0, 8).Select(i => On(0.1 + 0.01 * i, 60 + i)).ToArray();
        Result r = Run(events, Rate / 2, config: config);
        Assert.Equal(4, r.Processor.Voices.ActiveVoices);
        Assert.Equal(4, r.Processor.Voices.Steals);
    }

    private static double MaxStep(float[] x, int from, int to)
    {
        double max = 0;
        for (int i = from + 1; i < to; i++) max = Math.Max(max, Math.Abs(x[i] - x[i - 1]));
        return max;
    }
}
