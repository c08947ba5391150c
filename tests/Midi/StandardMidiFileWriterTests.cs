using Losses.Engine.Midi;

namespace Losses.Tests.Midi;

public class StandardMidiFileWriterTests
{
    private static readonly TickedMidiEvent[] Melody =
    [
        TickedMidiEvent.NoteOn(0, 60, 100),
        TickedMidiEvent.Control(10, 64, 127),
        TickedMidiEvent.NoteOff(480, 60),
        TickedMidiEvent.NoteOn(480, 62, 90),
        new(500, 0xC0, 12, 0),
        new(700, 0xE0, 0x00, 0x50),
        TickedMidiEvent.NoteOff(960, 62),
        TickedMidiEvent.Control(200_000, 64, 0), // a gap needing a 3-byte delta
    ];

    private static readonly TickedMidiEvent[] Bass =
    [
        TickedMidiEvent.NoteOn(0, 36, 80, channel: 1),
        new(100, 0xD1, 40, 0),
        new(120, 0xA1, 36, 30),
        TickedMidiEvent.NoteOff(960, 36, channel: 1),
    ];

    private static TimedMidiEvent At(TickedMidiEvent e, int ppq, int tempo) =>
        new(Smf.Sample(e.Tick, tempo, ppq), e.Status, e.Data1, e.Data2);

    [Fact]
    public void Format1_round_trip_gives_the_same_events()
    {
        const int ppq = 96, tempo = 600_000;
        byte[] file = new StandardMidiFileWriter(ppq, tempo).AddTrack(Melody, "melody").AddTrack(Bass).ToArray();

        var p = Smf.Parse(file);

        Assert.Equal(1, p.Format);
        Assert.Equal(3, p.TrackCount);
        var expected = Melody.Select((e, i) => (e, track: 0, i)).Concat(Bass.Select((e, i) => (e, track: 1, i)))
            .OrderBy(x => x.e.Tick).ThenBy(x => x.track).ThenBy(x => x.i)
            .Select(x => At(x.e, ppq, tempo));
        Assert.Equal(expected, p.Events);
        Assert.Equal(3, p.NoteOnCount);
    }

    [Fact]
    public void Format0_round_trip_merges_tracks()
    {
        byte[] file = new StandardMidiFileWriter().AddTrack(Melody).AddTrack(Bass).ToArray(format: 0);

        var p = Smf.Parse(file);

        Assert.Equal(0, p.Format);
        Assert.Equal(1, p.TrackCount);
        Assert.Equal(Melody.Concat(Bass).OrderBy(e => e.Tick).Select(e => At(e, 480, 500_000)), p.Events);
    }

    [Fact]
    public void Writes_the_exact_bytes_expected()
    {
        byte[] file = new StandardMidiFileWriter(480, 500_000)
            .AddTrack([TickedMidiEvent.NoteOff(480, 60), TickedMidiEvent.NoteOn(0, 60, 100)], "p", endTick: 960)
            .ToArray();

        byte[] expected =
        [
            .. "MThd"u8, 0, 0, 0, 6, 0, 1, 0, 2, 0x01, 0xE0,
            .. "MTrk"u8, 0, 0, 0, 11, 0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20, 0x00, 0xFF, 0x2F, 0x00,
            .. "MTrk"u8, 0, 0, 0, 19, 0x00, 0xFF, 0x03, 0x01, (byte)'p',
            0x00, 0x90, 60, 100, 0x83, 0x60, 0x80, 60, 0, 0x83, 0x60, 0xFF, 0x2F, 0x00,
        ];
        Assert.Equal(expected, file);
    }

    [Fact]
    public void Ties_keep_the_given_order()
    {
        TickedMidiEvent[] events = [TickedMidiEvent.NoteOn(5, 60, 1), TickedMidiEvent.NoteOff(5, 60), TickedMidiEvent.NoteOn(5, 60, 2)];
        var p = Smf.Parse(new StandardMidiFileWriter().AddTrack(events).ToArray());
        Assert.Equal(events.Select(e => e.Status).ToArray(), p.Events.Select(e => e.Status).ToArray());
        Assert.Equal(new byte[] { 1, 0, 2 }, p.Events.Select(e => e.Data2).ToArray());
    }

    [Fact]
    public void Rejects_what_a_file_cannot_hold()
    {
        var w = new StandardMidiFileWriter();
        Assert.Throws<ArgumentException>(() => w.AddTrack([new(0, 0xF0, 0, 0)]));
        Assert.Throws<ArgumentException>(() => w.AddTrack([new(0, 0x90, 128, 0)]));
        Assert.Throws<ArgumentException>(() => w.AddTrack([new(-1, 0x90, 60, 0)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StandardMidiFileWriter(0));
    }

    [Fact]
    public void A_gap_longer_than_one_delta_can_hold_is_written_as_several()
    {
        // 3 × 0x0FFFFFFF + 5 ticks: three full deltas carried by empty meta events, then 5.
        long far = 3L * 0x0FFF_FFFF + 5;
        byte[] file = new StandardMidiFileWriter().AddTrack([new(10, 0x90, 60, 100), new(10 + far, 0x80, 60, 0)], endTick: 20 + far).ToArray(0);
        var naudio = new NAudio.Midi.MidiFile(new MemoryStream(file), strictChecking: true);
        var notes = naudio.Events.SelectMany(t => t).Where(e => e.CommandCode is NAudio.Midi.MidiCommandCode.NoteOn or NAudio.Midi.MidiCommandCode.NoteOff).ToArray();
        Assert.Equal([10L, 10 + far], notes.Select(e => e.AbsoluteTime));
        Assert.Equal(20 + far, naudio.Events.SelectMany(t => t).Single(NAudio.Midi.MidiEvent.IsEndTrack).AbsoluteTime);
    }

    [Fact]
    public void Tempo_and_tick_helpers()
    {
        Assert.Equal(500_000, StandardMidiFileWriter.TempoFromBpm(120));
        Assert.Equal(480, Smf.TickAt(24_000, 48_000, 480, 500_000));
        Assert.Equal(1, Smf.TickAt(50, 48_000, 480, 500_000)); // 0.96 ticks
        // A recorded live performance: sample times → ticks → file → the same sample times (within a tick).
        long[] samples = [0, 1, 12_345, 48_000, 1_000_001];
        var events = samples.Select(s => TickedMidiEvent.NoteOn(Smf.TickAt(s, 48_000, 960, 500_000), 60, 1));
        var p = Smf.Parse(new StandardMidiFileWriter(960).AddTrack(events).ToArray());
        for (int i = 0; i < samples.Length; i++)
            Assert.InRange(p.Events[i].SampleTime - samples[i], -13, 13); // half a tick is 12.5 samples
    }
    [Fact]
    public void NAudio_reads_written_files_the_same_way()
    {
        // An independent reader: NAudio 2.2.1 sees the same channel events at the same ticks.
        byte[] file = ExamplePerformance.Create();
        var naudio = new NAudio.Midi.MidiFile(new MemoryStream(file), strictChecking: true);
        var theirs = naudio.Events.SelectMany(t => t)
            .Where(e => e.CommandCode is not (NAudio.Midi.MidiCommandCode.MetaEvent or NAudio.Midi.MidiCommandCode.Sysex))
            .Select(e => (e.AbsoluteTime, Status: e.GetAsShortMessage() & 0xFF))
            .ToArray();
        var ours = MidiPerformance.Parse(file, "demo.mid", 480 * 2).Events; // 960 Hz: one sample per tick at 120 bpm
        Assert.Equal(theirs.Length, ours.Length);
        Assert.Equal(theirs.Select(e => (e.AbsoluteTime, e.Status)), ours.Select(e => (e.SampleTime, (int)e.Status)));
        Assert.Equal(75, // the demo's note-ons (ExamplePerformance's remarks)
            naudio.Events.SelectMany(t => t).Count(e => e is NAudio.Midi.NoteOnEvent { Velocity: > 0 } && e.CommandCode == NAudio.Midi.MidiCommandCode.NoteOn));
    }
}
