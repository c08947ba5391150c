using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Losses.Platform;

namespace Losses.Engine.Midi;

/// <summary>
/// A Standard MIDI File flattened to channel voice messages at absolute sample times, ready to be
/// fed block by block to the processor (an offline render of a file is the live performance).
/// </summary>
/// <remarks>
/// The parser is our own, written for untrusted input: every malformed file ends in a
/// <see cref="MidiFileException"/> with a one-line message, never another exception and never a hang.
/// NAudio 2.2.1's <c>MidiFile</c> is not used for reading because it throws assorted exception
/// types on damaged files and can accept some of them silently.
/// <list type="bullet">
/// <item>Formats 0 and 1 (any number of tracks); format 2 is rejected.</item>
/// <item>Division in ticks per quarter note with a tempo map merged from all tracks (a tempo
/// change in any track applies to all, as in format 1 practice), or SMPTE (24, 25, 29.97, 30 fps;
/// tempo events are then ignored, as the standard says).</item>
/// <item>Kept: note off/on, poly pressure, control change, program change, channel pressure, pitch
/// bend, on every channel, with their bytes unchanged (a note-on of velocity 0 stays a note-on).
/// Skipped: sysex (F0, F7) and meta events. Running status is honoured (and survives meta and
/// sysex events, which is more lenient than the standard). Bytes after an end-of-track meta event
/// inside its chunk are ignored, as are chunks of unknown type and bytes after the last track.</item>
/// <item>Sample time = round(seconds × sample rate), half away from zero, computed exactly in
/// integers from the ticks and the tempo map, so there is no drift however long the file.</item>
/// <item>Events are ordered by tick, then track index, then order within the track.</item>
/// </list>
/// </remarks>
public sealed class MidiPerformance
{
    /// <summary><see cref="Load"/> refuses larger files (a performance is a few hundred kilobytes at most).</summary>
    public const long MaxFileBytes = 64L << 20;

    private MidiPerformance(string name, TimedMidiEvent[] events, double durationSeconds, int format,
        int trackCount, int noteOnCount, int sampleRate, int division)
    {
        Name = name;
        Events = events;
        DurationSeconds = durationSeconds;
        Format = format;
        TrackCount = trackCount;
        NoteOnCount = noteOnCount;
        SampleRate = sampleRate;
        Division = division;
    }

    /// <summary>The name used in messages (the path for <see cref="Load"/>).</summary>
    public string Name { get; }

    /// <summary>Channel voice messages sorted by sample time (ties: tick, track, order in track).</summary>
    public TimedMidiEvent[] Events { get; }

    /// <summary>Time of the last event in seconds (0 when there is none).</summary>
    public double DurationSeconds { get; }

    /// <summary>SMF format, 0 or 1.</summary>
    public int Format { get; }

    /// <summary>Number of tracks ('MTrk' chunks) read, as the header declares.</summary>
    public int TrackCount { get; }

    /// <summary>Note-on messages with velocity &gt; 0.</summary>
    public int NoteOnCount { get; }

    /// <summary>The sample rate the sample times are in.</summary>
    public int SampleRate { get; }

    /// <summary>The header's raw division word: ticks per quarter note, or SMPTE when bit 15 is set.</summary>
    public int Division { get; }

    /// <summary>Reads and parses a Standard MIDI File.</summary>
    /// <exception cref="MidiFileException">The file is missing, unreadable or not a usable SMF.</exception>
    public static MidiPerformance Load(string path, int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        string name = path.Length == 0 ? "(empty path)" : path;
        byte[] bytes;
        try
        {
            if (Directory.Exists(path))
                throw new MidiFileException(name, "is a folder, not a file — give a .mid file");
            var info = new FileInfo(path);
            if (!info.Exists)
                throw new MidiFileException(name, "file not found — check the path");
            if (info.Length > MaxFileBytes)
                throw new MidiFileException(name, $"too large for a performance ({info.Length} bytes, at most {MaxFileBytes}) — give a .mid file");
            // Checked again on the open file: a named pipe or a device at the path is one line, never a wait.
            bytes = Losses.Platform.InputFile.ReadAllBytes(path, "the MIDI file", MaxFileBytes);
        }
        catch (MidiFileException)
        {
            throw;
        }
        catch (IOException e) when (e is not FileNotFoundException && e.Message.StartsWith(path + ": the MIDI file is ", StringComparison.Ordinal))
        {
            throw new MidiFileException(name, e.Message[(path.Length + 2)..].Replace("the MIDI file is", "is", StringComparison.Ordinal), e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MidiFileException(name, "file not found — check the path", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new MidiFileException(name, "cannot be read (permission denied) — check the file's permissions", e);
        }
        catch (Exception e) when (e is IOException or ArgumentException or NotSupportedException or System.Security.SecurityException)
        {
            throw new MidiFileException(name, $"cannot be read ({OneLine(e.Message)}) — check the path", e);
        }
        return Parse(bytes, name, sampleRate);
    }

    /// <summary>Parses the bytes of a Standard MIDI File; <paramref name="name"/> is used in messages.</summary>
    /// <exception cref="MidiFileException">The bytes are not a usable SMF.</exception>
    public static MidiPerformance Parse(ReadOnlySpan<byte> data, string name, int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        return new Parser(name).Parse(data, sampleRate);
    }

    /// <inheritdoc cref="Parse(ReadOnlySpan{byte}, string, int)"/>
    public static MidiPerformance Parse(byte[] data, string name, int sampleRate)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Parse(new ReadOnlySpan<byte>(data), name, sampleRate);
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();

    private readonly record struct RawEvent(long Tick, int Track, int Order, byte Status, byte Data1, byte Data2);

    private readonly record struct Tempo(long Tick, int Track, int Order, int MicrosecondsPerQuarter);

    private sealed class Parser(string name)
    {
        private const int DefaultTempo = 500_000; // 120 bpm
        private readonly List<RawEvent> _events = [];
        private readonly List<Tempo> _tempos = [];

        private MidiFileException Fail(string problem) => new(name, problem);

        public MidiPerformance Parse(ReadOnlySpan<byte> data, int sampleRate)
        {
            if (data.IsEmpty)
                throw Fail("empty file — give a .mid file");
            if (data.Length < 4 || !data[..4].SequenceEqual("MThd"u8))
            {
                if (data.Length >= 4 && data[..4].SequenceEqual("RIFF"u8))
                    throw Fail("a RIFF file (RMID or WAV), not a Standard MIDI File — export it as a .mid file");
                throw Fail("not a Standard MIDI File (no 'MThd' header) — give a .mid file");
            }
            if (data.Length < 14)
                throw Fail($"truncated — the file ends inside its header after {data.Length} bytes (14 needed)");
            uint headerLength = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
            if (headerLength < 6)
                throw Fail($"damaged header — 'MThd' declares {headerLength} bytes, at least 6 needed — the file is damaged");
            if (headerLength > (ulong)(data.Length - 8))
                throw Fail($"truncated — the header declares {headerLength} bytes but the file ends after {data.Length - 8}");

            int format = BinaryPrimitives.ReadUInt16BigEndian(data[8..]);
            int trackCount = BinaryPrimitives.ReadUInt16BigEndian(data[10..]);
            int division = BinaryPrimitives.ReadUInt16BigEndian(data[12..]);
            if (format == 2)
                throw Fail("format 2 (independent sequences) is not supported — save it as format 0 or 1");
            if (format > 2)
                throw Fail($"unknown SMF format {format} — save it as format 0 or 1");
            if (trackCount == 0)
                throw Fail("the header declares no tracks — nothing to play");

            // Time base: seconds = acc / denominator, acc being Σ Δticks × tempo (ticks per quarter
            // note) or ticks × numerator (SMPTE).
            bool smpte = (division & 0x8000) != 0;
            long smpteNumerator = 1;
            long denominator;
            if (smpte)
            {
                int fps = -(sbyte)(division >> 8);
                int ticksPerFrame = division & 0xFF;
                if (fps is not (24 or 25 or 29 or 30) || ticksPerFrame == 0)
                    throw Fail($"unsupported SMPTE time division ({fps} fps, {ticksPerFrame} ticks per frame) — save it with ticks per quarter note");
                if (fps == 29)
                {
                    smpteNumerator = 1001; // 29.97 fps = 30000 / 1001
                    denominator = 30_000L * ticksPerFrame;
                }
                else
                {
                    denominator = (long)fps * ticksPerFrame;
                }
            }
            else
            {
                if (division == 0)
                    throw Fail("damaged header — 0 ticks per quarter note — the file is damaged");
                denominator = division * 1_000_000L;
            }

            long pos = 8 + (long)headerLength;
            int track = 0;
            while (track < trackCount)
            {
                long remaining = data.Length - pos;
                if (remaining == 0)
                    throw Fail($"truncated — the header declares {trackCount} tracks but the file ends after {track}");
                if (remaining < 8)
                    throw Fail($"truncated — the file ends inside the chunk header of track {track + 1}");
                var type = data.Slice((int)pos, 4);
                uint length = BinaryPrimitives.ReadUInt32BigEndian(data[((int)pos + 4)..]);
                bool isTrack = type.SequenceEqual("MTrk"u8);
                if (!isTrack && !IsChunkName(type))
                    throw Fail($"damaged — expected track {track + 1} ('MTrk') at byte {pos} but found garbage — the file is damaged");
                if (length > remaining - 8)
                {
                    string what = isTrack ? $"track {track + 1}" : $"chunk '{Encoding.ASCII.GetString(type)}'";
                    throw Fail($"truncated — {what} declares {length} bytes but the file ends after {remaining - 8}");
                }
                if (isTrack)
                {
                    ParseTrack(data.Slice((int)pos + 8, (int)length), track, pos + 8);
                    track++;
                }
                pos += 8 + length;
            }

            return Build(format, trackCount, division, smpte, smpteNumerator, denominator, sampleRate);
        }

        private static bool IsChunkName(ReadOnlySpan<byte> type)
        {
            foreach (byte b in type)
                if (b is < 0x20 or > 0x7E)
                    return false;
            return true;
        }

        private void ParseTrack(ReadOnlySpan<byte> t, int track, long fileOffset)
        {
            int number = track + 1;
            int p = 0;
            long tick = 0;
            byte running = 0;
            int order = 0;
            while (p < t.Length)
            {
                int eventStart = p;
                tick += ReadVariableLength(t, ref p, number, fileOffset);
                if (p >= t.Length)
                    throw EndsInsideEvent(number, fileOffset + eventStart);
                byte b = t[p];
                if (b == 0xFF)
                {
                    p++;
                    if (p >= t.Length)
                        throw EndsInsideEvent(number, fileOffset + eventStart);
                    byte metaType = t[p++];
                    int length = ReadVariableLength(t, ref p, number, fileOffset);
                    if (length > t.Length - p)
                        throw EndsInsideEvent(number, fileOffset + eventStart);
                    if (metaType == 0x2F)
                        return; // end of track
                    if (metaType == 0x51)
                    {
                        if (length != 3)
                            throw Fail($"damaged — track {number} has a tempo event of {length} bytes at byte {fileOffset + eventStart} (3 expected) — the file is damaged");
                        int tempo = (t[p] << 16) | (t[p + 1] << 8) | t[p + 2];
                        if (tempo == 0)
                            throw Fail($"damaged — track {number} sets a tempo of 0 at byte {fileOffset + eventStart} — the file is damaged");
                        _tempos.Add(new Tempo(tick, track, order++, tempo));
                    }
                    p += length;
                }
                else if (b is 0xF0 or 0xF7)
                {
                    p++;
                    int length = ReadVariableLength(t, ref p, number, fileOffset);
                    if (length > t.Length - p)
                        throw EndsInsideEvent(number, fileOffset + eventStart);
                    p += length;
                }
                else if (b > 0xF0)
                {
                    throw Fail($"damaged — track {number} has the status byte 0x{b:X2} at byte {fileOffset + p}, which a MIDI file cannot hold — the file is damaged");
                }
                else
                {
                    byte status;
                    if (b >= 0x80)
                    {
                        status = running = b;
                        p++;
                    }
                    else if (running != 0)
                    {
                        status = running;
                    }
                    else
                    {
                        throw Fail($"damaged — track {number} has a data byte without a status byte at byte {fileOffset + p} — the file is damaged");
                    }
                    int kind = status & 0xF0;
                    int need = kind is 0xC0 or 0xD0 ? 1 : 2;
                    if (need > t.Length - p)
                        throw EndsInsideEvent(number, fileOffset + eventStart);
                    byte d1 = t[p];
                    byte d2 = need == 2 ? t[p + 1] : (byte)0;
                    if (d1 >= 0x80 || d2 >= 0x80)
                        throw Fail($"damaged — track {number} has a message with a missing data byte at byte {fileOffset + p} — the file is damaged");
                    p += need;
                    _events.Add(new RawEvent(tick, track, order++, status, d1, d2));
                }
            }
        }

        private MidiFileException EndsInsideEvent(int track, long offset) =>
            Fail($"damaged — track {track} ends in the middle of the event at byte {offset} — the file is damaged");

        /// <summary>A variable-length quantity: at most 4 bytes, at most 0x0FFFFFFF.</summary>
        private int ReadVariableLength(ReadOnlySpan<byte> t, ref int p, int track, long fileOffset)
        {
            int start = p;
            int value = 0;
            for (int i = 0; i < 4; i++)
            {
                if (p >= t.Length)
                    throw EndsInsideEvent(track, fileOffset + start);
                byte b = t[p++];
                value = (value << 7) | (b & 0x7F);
                if ((b & 0x80) == 0)
                    return value;
            }
            throw Fail($"damaged — track {track} has a variable-length number longer than 4 bytes at byte {fileOffset + start} — the file is damaged");
        }

        private MidiPerformance Build(int format, int trackCount, int division, bool smpte, long smpteNumerator,
            long denominator, int sampleRate)
        {
            var raw = _events.ToArray();
            Array.Sort(raw, static (a, b) =>
                a.Tick != b.Tick ? a.Tick.CompareTo(b.Tick)
                : a.Track != b.Track ? a.Track.CompareTo(b.Track)
                : a.Order.CompareTo(b.Order));

            // Tempo map: (tick, acc at that tick, tempo from there on); later events at a tick win.
            var tempos = _tempos.ToArray();
            Array.Sort(tempos, static (a, b) =>
                a.Tick != b.Tick ? a.Tick.CompareTo(b.Tick)
                : a.Track != b.Track ? a.Track.CompareTo(b.Track)
                : a.Order.CompareTo(b.Order));
            var segmentTick = new List<long> { 0 };
            var segmentAcc = new List<Int128> { 0 };
            var segmentTempo = new List<int> { DefaultTempo };
            if (!smpte)
            {
                foreach (var tempo in tempos)
                {
                    int last = segmentTick.Count - 1;
                    if (tempo.Tick == segmentTick[last])
                    {
                        segmentTempo[last] = tempo.MicrosecondsPerQuarter;
                        continue;
                    }
                    segmentAcc.Add(segmentAcc[last] + (Int128)(tempo.Tick - segmentTick[last]) * segmentTempo[last]);
                    segmentTick.Add(tempo.Tick);
                    segmentTempo.Add(tempo.MicrosecondsPerQuarter);
                }
            }

            var events = new TimedMidiEvent[raw.Length];
            int noteOns = 0;
            int segment = 0;
            Int128 acc = 0;
            Int128 twiceDenominator = (Int128)denominator * 2;
            for (int i = 0; i < raw.Length; i++)
            {
                var e = raw[i];
                if (smpte)
                {
                    acc = (Int128)e.Tick * smpteNumerator;
                }
                else
                {
                    while (segment + 1 < segmentTick.Count && segmentTick[segment + 1] <= e.Tick)
                        segment++;
                    acc = segmentAcc[segment] + (Int128)(e.Tick - segmentTick[segment]) * segmentTempo[segment];
                }
                Int128 sample = (acc * sampleRate * 2 + denominator) / twiceDenominator;
                if (sample > long.MaxValue)
                    throw Fail("lasts far too long to be a performance (its sample times overflow) — the file is damaged");
                events[i] = new TimedMidiEvent((long)sample, e.Status, e.Data1, e.Data2);
                if ((e.Status & 0xF0) == 0x90 && e.Data2 > 0)
                    noteOns++;
            }
            double duration = raw.Length == 0 ? 0 : (double)acc / denominator;
            return new MidiPerformance(name, events, duration, format, trackCount, noteOns, sampleRate, division);
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}: format {Format}, {TrackCount} track(s), {Events.Length} events, {NoteOnCount} note-ons, {DurationSeconds:0.###} s");
}
