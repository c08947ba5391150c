using Losses.Engine.Midi;

namespace Losses.Tests.Midi;

public class MidiFileErrorTests
{
    /// <summary>A small valid format-1 file using every construct the parser knows.</summary>
    internal static readonly byte[] Valid = Smf.File(Smf.Header(1, 2, 480),
        Smf.Track([0x00, 0xFF, 0x03, 0x01, (byte)'t', 0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,
                  0x83, 0x60, 0xFF, 0x51, 0x03, 0x03, 0xD0, 0x90, .. Smf.EndOfTrack]),
        Smf.Track([0x00, 0xF0, 0x03, 0x7E, 0x7F, 0xF7,
                  0x00, 0x90, 60, 100, 0x60, 62, 90, 0x81, 0x70, 0xB0, 64, 127,
                  0x00, 0xC0, 3, 0x00, 0xE0, 0, 64, 0x83, 0x60, 0x80, 60, 0, 0x00, 0x80, 62, 0,
                  .. Smf.EndOfTrack]));

    private static MidiFileException Rejects(byte[] data, string name = "song.mid")
    {
        var e = Assert.Throws<MidiFileException>(() => MidiPerformance.Parse(data, name, Smf.Rate));
        Assert.StartsWith(name + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(name, e.FileName);
        return e;
    }

    [Fact]
    public void The_valid_sample_parses()
    {
        var p = Smf.Parse(Valid);
        Assert.Equal(7, p.Events.Length);
        Assert.Equal(2, p.NoteOnCount);
    }

    [Fact]
    public void Missing_file()
    {
        string path = Path.Combine(Path.GetTempPath(), $"losses-no-such-{Guid.NewGuid():N}.mid");
        var e = Assert.Throws<MidiFileException>(() => MidiPerformance.Load(path, Smf.Rate));
        Assert.Equal($"{path}: file not found — check the path", e.Message);
    }

    [Fact]
    public void Missing_folder_and_a_folder_instead_of_a_file()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"losses-no-such-{Guid.NewGuid():N}");
        var e = Assert.Throws<MidiFileException>(() => MidiPerformance.Load(Path.Combine(dir, "a.mid"), Smf.Rate));
        Assert.Contains("file not found", e.Message);
        e = Assert.Throws<MidiFileException>(() => MidiPerformance.Load(Path.GetTempPath(), Smf.Rate));
        Assert.Contains("is a folder", e.Message);
    }

    [Fact]
    public void Empty_file_from_disk()
    {
        string path = Path.Combine(Path.GetTempPath(), $"losses-empty-{Guid.NewGuid():N}.mid");
        File.WriteAllBytes(path, []);
        try
        {
            var e = Assert.Throws<MidiFileException>(() => MidiPerformance.Load(path, Smf.Rate));
            Assert.Equal($"{path}: empty file — give a .mid file", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Load_reads_a_valid_file_from_disk()
    {
        string path = Path.Combine(Path.GetTempPath(), $"losses-valid-{Guid.NewGuid():N}.mid");
        File.WriteAllBytes(path, Valid);
        try
        {
            var p = MidiPerformance.Load(path, Smf.Rate);
            Assert.Equal(path, p.Name);
            Assert.Equal(Smf.Parse(Valid).Events, p.Events);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Not_midi()
    {
        Assert.Equal("song.mid: not a Standard MIDI File (no 'MThd' header) — give a .mid file",
            Rejects("ID3\u0003 this is an mp3"u8.ToArray()).Message);
        Assert.Contains("not a Standard MIDI File", Rejects([0x4D]).Message);
        Assert.Contains("RIFF", Rejects("RIFF\u0010\0\0\0RMIDdata"u8.ToArray()).Message);
    }

    [Fact]
    public void Truncated_track_names_the_track_and_the_lengths()
    {
        byte[] data = [.. Valid[..^5]];
        int secondTrackLength = Valid.Length - (14 + 8 + 24) - 8;
        Assert.Equal($"song.mid: truncated — track 2 declares {secondTrackLength} bytes but the file ends after {secondTrackLength - 5}",
            Rejects(data).Message);
    }

    [Fact]
    public void Missing_tracks()
    {
        byte[] data = Smf.File(Smf.Header(1, 3, 480), Smf.Track(Smf.EndOfTrack));
        Assert.Equal("song.mid: truncated — the header declares 3 tracks but the file ends after 1", Rejects(data).Message);
    }

    [Fact]
    public void Every_prefix_of_a_valid_file_parses_or_is_rejected_cleanly()
    {
        for (int n = 0; n < Valid.Length; n++)
        {
            byte[] prefix = Valid[..n];
            try
            {
                MidiPerformance.Parse(prefix, "prefix.mid", Smf.Rate);
            }
            catch (MidiFileException e)
            {
                Assert.StartsWith("prefix.mid: ", e.Message);
            }
        }
    }

    [Fact]
    public void Every_prefix_with_its_chunk_lengths_patched_is_rejected_cleanly_or_parses()
    {
        // Cut the last track's body anywhere but fix its length, so the parser meets the cut inside events.
        int lastTrack = 14 + 8 + 24;
        for (int n = lastTrack + 8; n < Valid.Length; n++)
        {
            byte[] data = Valid[..n];
            int length = n - lastTrack - 8;
            data[lastTrack + 4] = (byte)(length >> 24);
            data[lastTrack + 5] = (byte)(length >> 16);
            data[lastTrack + 6] = (byte)(length >> 8);
            data[lastTrack + 7] = (byte)length;
            try
            {
                MidiPerformance.Parse(data, "cut.mid", Smf.Rate);
            }
            catch (MidiFileException e)
            {
                Assert.StartsWith("cut.mid: ", e.Message);
            }
        }
    }

    [Fact]
    public void Random_mutations_never_escape_as_other_exceptions()
    {
        var random = new Random(1234);
        for (int i = 0; i < 20_000; i++)
        {
            byte[] data = (byte[])Valid.Clone();
            int changes = 1 + random.Next(4);
            for (int c = 0; c < changes; c++)
                data[random.Next(data.Length)] = random.Next(3) switch
                {
                    0 => (byte)random.Next(256),
                    1 => 0xFF,
                    _ => (byte)(data[random.Next(data.Length)] ^ (1 << random.Next(8))),
                };
            try
            {
                MidiPerformance.Parse(data, "fuzz.mid", Smf.Rate);
            }
            catch (MidiFileException)
            {
            }
        }
    }

    [Fact]
    public void Garbage_after_the_header_is_rejected()
    {
        byte[] data = [.. Smf.Header(0, 1, 480), 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
        Assert.Contains("found garbage", Rejects(data).Message);
        byte[] random = new byte[4096];
        new Random(7).NextBytes(random);
        Rejects(random);
    }

    [Fact]
    public void Huge_lengths_are_rejected_without_allocating_or_hanging()
    {
        Assert.Contains("truncated",
            Rejects(Smf.File(Smf.Header(0, 1, 480), [(byte)'M', (byte)'T', (byte)'r', (byte)'k', 0xFF, 0xFF, 0xFF, 0xFF, 0x00])).Message);
        Assert.Contains("truncated", Rejects([(byte)'M', (byte)'T', (byte)'h', (byte)'d', 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, 1, 0xE0]).Message);
        Assert.Contains("middle of the event",
            Rejects(Smf.File(Smf.Header(0, 1, 480), Smf.Track(0x00, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0x7F, 0x41))).Message);
        Assert.Contains("middle of the event",
            Rejects(Smf.File(Smf.Header(0, 1, 480), Smf.Track(0x00, 0xF0, 0xFF, 0xFF, 0xFF, 0x7F, 0x41))).Message);
        Assert.Contains("longer than 4 bytes",
            Rejects(Smf.File(Smf.Header(0, 1, 480), Smf.Track(0xFF, 0xFF, 0xFF, 0xFF, 0x7F, 0x90, 60, 1))).Message);
    }

    [Fact]
    public void Largest_deltas_do_not_overflow()
    {
        // 0x0FFFFFFF ticks at 1 ppq and the slowest tempo, many times: centuries, but exact.
        var body = new List<byte> { 0x00, 0xFF, 0x51, 0x03, 0xFF, 0xFF, 0xFF };
        for (int i = 0; i < 1000; i++)
            body.AddRange([0xFF, 0xFF, 0xFF, 0x7F, 0x90, 60, 1]);
        var p = MidiPerformance.Parse(Smf.File(Smf.Header(0, 1, 1), Smf.Track([.. body])), "long.mid", 192_000);
        Assert.Equal(Smf.Sample(1000L * 0x0FFFFFFF, 0xFFFFFF, 1, 192_000), p.Events[^1].SampleTime);
    }

    [Theory]
    [InlineData(2, "format 2 (independent sequences) is not supported — save it as format 0 or 1")]
    [InlineData(7, "unknown SMF format 7 — save it as format 0 or 1")]
    public void Unsupported_formats(int format, string problem)
    {
        Assert.Equal($"song.mid: {problem}", Rejects(Smf.File(Smf.Header(format, 1, 480), Smf.Track(Smf.EndOfTrack))).Message);
    }

    [Fact]
    public void Bad_headers()
    {
        Assert.Contains("no tracks", Rejects(Smf.Header(1, 0, 480)).Message);
        Assert.Contains("0 ticks per quarter note", Rejects(Smf.File(Smf.Header(0, 1, 0), Smf.Track(Smf.EndOfTrack))).Message);
        Assert.Contains("unsupported SMPTE", Rejects(Smf.File(Smf.Header(0, 1, 0xE000 | 0x50), Smf.Track(Smf.EndOfTrack))).Message);
        Assert.Contains("truncated", Rejects(Smf.Header(0, 1, 480)[..10]).Message);
        byte[] shortHeader = Smf.File(Smf.Header(0, 1, 480), Smf.Track(Smf.EndOfTrack));
        shortHeader[7] = 5;
        Assert.Contains("at least 6", Rejects(shortHeader).Message);
    }

    [Fact]
    public void Bad_events()
    {
        static byte[] Track(params byte[] body) => Smf.File(Smf.Header(0, 1, 480), Smf.Track(body));
        Assert.Contains("data byte without a status byte", Rejects(Track([0x00, 60, 100, .. Smf.EndOfTrack])).Message);
        Assert.Contains("status byte 0xF2", Rejects(Track([0x00, 0xF2, 1, 2, .. Smf.EndOfTrack])).Message);
        Assert.Contains("missing data byte", Rejects(Track([0x00, 0x90, 60, 0x80, 60, 0, .. Smf.EndOfTrack])).Message);
        Assert.Contains("tempo event of 2 bytes", Rejects(Track([0x00, 0xFF, 0x51, 0x02, 1, 2, .. Smf.EndOfTrack])).Message);
        Assert.Contains("tempo of 0", Rejects(Track([0x00, 0xFF, 0x51, 0x03, 0, 0, 0, .. Smf.EndOfTrack])).Message);
        Assert.Contains("middle of the event", Rejects(Track(0x00, 0x90, 60)).Message);
        Assert.Contains("middle of the event", Rejects(Track(0x00)).Message);
    }

    [Fact]
    public void Programming_errors_are_argument_exceptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MidiPerformance.Parse(Valid, "x.mid", 0));
        Assert.Throws<ArgumentNullException>(() => MidiPerformance.Load(null!, 48_000));
    }
}
