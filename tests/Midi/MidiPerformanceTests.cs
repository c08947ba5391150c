using Losses.Engine.Midi;

namespace Losses.Tests.Midi;

public class MidiPerformanceTests
{
    [Fact]
    public void Format0_single_track_gives_events_at_sample_times()
    {
        byte[] data = Smf.File(Smf.Header(0, 1, 480), Smf.Track([
            0x00, 0x90, 60, 100,          // t=0 note on
            0x83, 0x60, 0x80, 60, 0,      // t=480 (0.5 s) note off
            0x00, 0xB0, 64, 127,          // sustain
            0x00, 0xC0, 5,                // program change: one data byte
            0x81, 0x70, 0xE0, 0x00, 0x40, // t=720 pitch bend
            .. Smf.EndOfTrack]));

        var p = Smf.Parse(data);

        Assert.Equal(0, p.Format);
        Assert.Equal(1, p.TrackCount);
        Assert.Equal(Smf.Rate, p.SampleRate);
        Assert.Equal(1, p.NoteOnCount);
        Assert.Equal(
            [new(0, 0x90, 60, 100), new(24_000, 0x80, 60, 0), new(24_000, 0xB0, 64, 127),
             new(24_000, 0xC0, 5, 0), new(36_000, 0xE0, 0x00, 0x40)],
            p.Events);
        Assert.Equal(0.75, p.DurationSeconds, 12);
    }

    [Fact]
    public void Format1_merges_tracks_by_tick_then_track_then_order()
    {
        byte[] data = Smf.File(Smf.Header(1, 3, 96),
            Smf.Track([0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20, .. Smf.EndOfTrack]),
            Smf.Track([0x00, 0x90, 48, 80, 0x60, 0x90, 50, 81, 0x00, 0x80, 48, 0, .. Smf.EndOfTrack]),
            Smf.Track([0x60, 0x91, 72, 90, 0x00, 0x81, 72, 0, 0x00, 0x90, 52, 1, .. Smf.EndOfTrack]));

        var p = Smf.Parse(data);

        Assert.Equal(1, p.Format);
        Assert.Equal(3, p.TrackCount);
        Assert.Equal(4, p.NoteOnCount);
        long beat = Smf.Rate / 2;
        Assert.Equal(
            [new(0, 0x90, 48, 80),
             new(beat, 0x90, 50, 81), new(beat, 0x80, 48, 0),
             new(beat, 0x91, 72, 90), new(beat, 0x81, 72, 0), new(beat, 0x90, 52, 1)],
            p.Events);
    }

    [Fact]
    public void Tempo_change_mid_file_changes_later_sample_times()
    {
        // Track 0: 120 bpm, then 240 bpm at tick 960 (1 s); track 1 plays a note per quarter.
        byte[] data = Smf.File(Smf.Header(1, 2, 480),
            Smf.Track([0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,
                      0x87, 0x40, 0xFF, 0x51, 0x03, 0x03, 0xD0, 0x90, .. Smf.EndOfTrack]),
            Smf.Track([0x00, 0x90, 60, 64,
                      0x83, 0x60, 0x90, 61, 64,   // 480
                      0x83, 0x60, 0x90, 62, 64,   // 960: the tempo change
                      0x83, 0x60, 0x90, 63, 64,   // 1440
                      0x83, 0x60, 0x90, 64, 64,   // 1920
                      .. Smf.EndOfTrack]));

        var p = Smf.Parse(data);

        Assert.Equal(new long[] { 0, 24_000, 48_000, 60_000, 72_000 }, p.Events.Select(e => e.SampleTime));
        Assert.Equal(1.5, p.DurationSeconds, 12);
    }

    [Fact]
    public void Tempo_change_in_a_later_track_applies_to_all_tracks()
    {
        byte[] data = Smf.File(Smf.Header(1, 2, 480),
            Smf.Track([0x00, 0x90, 60, 64, 0x87, 0x40, 0x90, 61, 64, .. Smf.EndOfTrack]),
            Smf.Track([0x83, 0x60, 0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40, .. Smf.EndOfTrack])); // 60 bpm from tick 480

        var p = Smf.Parse(data);

        Assert.Equal(new long[] { 0, 24_000 + 48_000 }, p.Events.Select(e => e.SampleTime));
    }

    [Fact]
    public void Sample_times_are_exact_over_a_long_file_with_odd_tempo_and_division()
    {
        // 7 ppq, 333 333 µs per quarter, 20 000 one-tick steps: a float accumulation would drift.
        var body = new List<byte> { 0x00, 0xFF, 0x51, 0x03, 0x05, 0x16, 0x15 };
        for (int i = 0; i < 20_000; i++)
            body.AddRange([0x01, 0x90, (byte)(i % 128), 1]);
        body.AddRange(Smf.EndOfTrack);
        var p = Smf.Parse(Smf.File(Smf.Header(0, 1, 7), Smf.Track([.. body])));

        Assert.Equal(20_000, p.Events.Length);
        for (int i = 0; i < p.Events.Length; i++)
            Assert.Equal(Smf.Sample(i + 1, 333_333, 7), p.Events[i].SampleTime);
        Assert.Equal(20_000.0 * 333_333 / 7e6, p.DurationSeconds, 9);
    }

    [Fact]
    public void Running_status_is_honoured()
    {
        byte[] data = Smf.File(Smf.Header(0, 1, 480), Smf.Track([
            0x00, 0x90, 60, 100,
            0x00, 62, 101,            // running note on
            0x83, 0x60, 60, 0,        // running note on, velocity 0
            0x00, 62, 0,
            0x00, 0xC0, 7, 0x00, 9,   // running program change (one data byte)
            .. Smf.EndOfTrack]));

        var p = Smf.Parse(data);

        Assert.Equal(
            [new(0, 0x90, 60, 100), new(0, 0x90, 62, 101), new(24_000, 0x90, 60, 0), new(24_000, 0x90, 62, 0),
             new(24_000, 0xC0, 7, 0), new(24_000, 0xC0, 9, 0)],
            p.Events);
        Assert.Equal(2, p.NoteOnCount);
    }

    [Fact]
    public void Sysex_and_meta_events_are_skipped_and_their_deltas_count()
    {
        byte[] data = Smf.File(Smf.Header(0, 1, 480), Smf.Track([
            0x00, 0xFF, 0x03, 0x04, (byte)'s', (byte)'o', (byte)'n', (byte)'g',    // track name
            0x00, 0xFF, 0x58, 0x04, 4, 2, 24, 8,                                   // time signature
            0x00, 0xF0, 0x05, 0x7E, 0x7F, 0x09, 0x01, 0xF7,                        // GM on
            0x83, 0x60, 0x90, 60, 90,                                              // t=480
            0x83, 0x60, 0xF7, 0x02, 0xF3, 0x01,                                    // escape, t=960
            0x00, 60, 0,                                                           // running status survives
            0x83, 0x60, 0xFF, 0x7F, 0x81, 0x00, .. new byte[128],                  // sequencer-specific, 2-byte length
            0x83, 0x60, 0x80, 60, 0,                                               // t=1920
            .. Smf.EndOfTrack]));

        var p = Smf.Parse(data);

        Assert.Equal([new(24_000, 0x90, 60, 90), new(48_000, 0x90, 60, 0), new(96_000, 0x80, 60, 0)], p.Events);
    }

    [Fact]
    public void Bytes_after_end_of_track_and_unknown_chunks_are_ignored()
    {
        byte[] data = Smf.File(Smf.Header(0, 1, 480),
            [(byte)'X', (byte)'F', (byte)'I', (byte)'H', 0, 0, 0, 2, 0xAB, 0xCD],
            Smf.Track([0x00, 0x90, 60, 90, .. Smf.EndOfTrack, 0x12, 0x34]),
            [0, 0, 0]);

        var p = Smf.Parse(data);

        Assert.Equal([new(0, 0x90, 60, 90)], p.Events);
    }

    [Fact]
    public void Smpte_division_is_supported()
    {
        // 25 fps × 40 ticks per frame = 1000 ticks a second; tempo events do not apply.
        byte[] data = Smf.File(Smf.Header(0, 1, unchecked((ushort)((-25 << 8) | 40))), Smf.Track([
            0x00, 0xFF, 0x51, 0x03, 0x03, 0xD0, 0x90,
            0x87, 0x68, 0x90, 60, 90,   // 1000 ticks = 1 s
            .. Smf.EndOfTrack]));

        var p = Smf.Parse(data);

        Assert.Equal([new(48_000, 0x90, 60, 90)], p.Events);
        Assert.Equal(1.0, p.DurationSeconds, 12);
    }

    [Fact]
    public void Smpte_29_97_uses_30000_over_1001_frames_a_second()
    {
        byte[] data = Smf.File(Smf.Header(0, 1, unchecked((ushort)((-29 << 8) | 1))), Smf.Track([
            0x81, 0x00, 0x90, 60, 90,   // frame 128
            .. Smf.EndOfTrack]));

        var p = Smf.Parse(data);

        Assert.Equal((long)Math.Round(128 * 1001 / 30000.0 * Smf.Rate, MidpointRounding.AwayFromZero), p.Events[0].SampleTime);
    }

    [Fact]
    public void A_file_without_channel_events_is_empty_and_lasts_zero()
    {
        var p = Smf.Parse(Smf.File(Smf.Header(1, 1, 480), Smf.Track(Smf.EndOfTrack)));

        Assert.Empty(p.Events);
        Assert.Equal(0, p.DurationSeconds);
        Assert.Equal(0, p.NoteOnCount);
    }

    [Fact]
    public void Four_parts_test_performance_loads()
    {
        var p = MidiPerformance.Load(TestFiles.FourParts, 48_000);

        Assert.Equal(1, p.Format);
        Assert.Equal(75, p.NoteOnCount);
        Assert.InRange(p.DurationSeconds, 36, 40);
        Assert.All(p.Events, e => Assert.Equal(0, e.Status & 0x0F));
        Assert.Equal(3, p.Events.Count(e => e.Status == 0xB0 && e.Data1 == 67 && e.Data2 >= 64));
        for (int i = 1; i < p.Events.Length; i++)
            Assert.True(p.Events[i - 1].SampleTime <= p.Events[i].SampleTime);
        Assert.InRange(p.Events[^1].SampleTime - p.DurationSeconds * 48_000, -0.5, 0.5);
    }
}
