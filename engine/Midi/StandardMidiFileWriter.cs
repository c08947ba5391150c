using System.Text;

namespace Losses.Engine.Midi;

/// <summary>A channel voice message at a tick of a MIDI file being written.</summary>
public readonly record struct TickedMidiEvent(long Tick, byte Status, byte Data1, byte Data2)
{
    public static TickedMidiEvent NoteOn(long tick, int note, int velocity, int channel = 0) =>
        new(tick, (byte)(0x90 | channel), (byte)note, (byte)velocity);

    public static TickedMidiEvent NoteOff(long tick, int note, int channel = 0) =>
        new(tick, (byte)(0x80 | channel), (byte)note, 0);

    public static TickedMidiEvent Control(long tick, int controller, int value, int channel = 0) =>
        new(tick, (byte)(0xB0 | channel), (byte)controller, (byte)value);
}

/// <summary>
/// Writes a Standard MIDI File (format 1 with a tempo track, or format 0) from channel voice
/// messages in ticks at one constant tempo. No running status; every track ends with an
/// end-of-track meta event. Events of a track are written in tick order, ties in the order given.
/// </summary>
public sealed class StandardMidiFileWriter
{
    private readonly List<(string? Name, TickedMidiEvent[] Events, long EndTick)> _tracks = [];

    public StandardMidiFileWriter(int ticksPerQuarterNote = 480, int microsecondsPerQuarterNote = 500_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ticksPerQuarterNote);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(ticksPerQuarterNote, 0x7FFF);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(microsecondsPerQuarterNote);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(microsecondsPerQuarterNote, 0xFFFFFF);
        TicksPerQuarterNote = ticksPerQuarterNote;
        MicrosecondsPerQuarterNote = microsecondsPerQuarterNote;
    }

    public int TicksPerQuarterNote { get; }

    public int MicrosecondsPerQuarterNote { get; }

    public int TrackCount => _tracks.Count;

    /// <summary>Microseconds per quarter note for a tempo in beats per minute (rounded).</summary>
    public static int TempoFromBpm(double bpm)
    {
        if (!(bpm >= 60_000_000.0 / 0xFFFFFF && bpm <= 60_000_000.0))
            throw new ArgumentOutOfRangeException(nameof(bpm), bpm, "tempo out of the range a MIDI file can hold");
        return (int)Math.Round(60_000_000.0 / bpm);
    }

    /// <summary>
    /// Adds a track. <paramref name="endTick"/> places the end-of-track event later than the last
    /// message, to leave the last notes time to ring.
    /// </summary>
    public StandardMidiFileWriter AddTrack(IEnumerable<TickedMidiEvent> events, string? name = null, long endTick = 0)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentOutOfRangeException.ThrowIfNegative(endTick);
        var sorted = events.OrderBy(e => e.Tick).ToArray(); // stable: ties keep the given order
        foreach (var e in sorted)
        {
            if (e.Tick < 0)
                throw new ArgumentException($"negative tick {e.Tick}", nameof(events));
            if (e.Status is < 0x80 or > 0xEF)
                throw new ArgumentException($"status 0x{e.Status:X2} is not a channel voice message", nameof(events));
            if (e.Data1 >= 0x80 || e.Data2 >= 0x80)
                throw new ArgumentException($"data byte out of range in {e}", nameof(events));
        }
        if (name is not null && name.Any(c => c > 0x7E || c < 0x20))
            throw new ArgumentException("track names are printable ASCII", nameof(name));
        _tracks.Add((name, sorted, endTick));
        return this;
    }

    /// <summary>The file's bytes: format 1 (tempo track, then one track per <see cref="AddTrack"/>) or format 0 (all merged).</summary>
    public byte[] ToArray(int format = 1)
    {
        if (format is not (0 or 1))
            throw new ArgumentOutOfRangeException(nameof(format), format, "format 0 or 1");
        var output = new MemoryStream();
        var tracks = new List<byte[]>();
        if (format == 1)
        {
            tracks.Add(Track(null, [], 0, tempo: true));
            foreach (var (name, events, endTick) in _tracks)
                tracks.Add(Track(name, events, endTick, tempo: false));
        }
        else
        {
            var merged = _tracks.SelectMany(t => t.Events).OrderBy(e => e.Tick).ToArray();
            long endTick = _tracks.Count == 0 ? 0 : _tracks.Max(t => t.EndTick);
            tracks.Add(Track(_tracks.Count > 0 ? _tracks[0].Name : null, merged, endTick, tempo: true));
        }

        output.Write("MThd"u8);
        WriteBigEndian(output, 6, 4);
        WriteBigEndian(output, format, 2);
        WriteBigEndian(output, tracks.Count, 2);
        WriteBigEndian(output, TicksPerQuarterNote, 2);
        foreach (var track in tracks)
        {
            output.Write("MTrk"u8);
            WriteBigEndian(output, track.Length, 4);
            output.Write(track);
        }
        return output.ToArray();
    }

    /// <summary>Writes <see cref="ToArray"/> to a file.</summary>
    public void Save(string path, int format = 1) => File.WriteAllBytes(path, ToArray(format));

    private byte[] Track(string? name, TickedMidiEvent[] events, long endTick, bool tempo)
    {
        var s = new MemoryStream();
        if (name is not null)
        {
            WriteVariableLength(s, 0);
            s.Write([0xFF, 0x03]);
            WriteVariableLength(s, name.Length);
            s.Write(Encoding.ASCII.GetBytes(name));
        }
        if (tempo)
        {
            WriteVariableLength(s, 0);
            s.Write([0xFF, 0x51, 0x03]);
            WriteBigEndian(s, MicrosecondsPerQuarterNote, 3);
        }
        long tick = 0;
        foreach (var e in events)
        {
            WriteDelta(s, e.Tick - tick);
            tick = e.Tick;
            s.WriteByte(e.Status);
            s.WriteByte(e.Data1);
            if ((e.Status & 0xF0) is not (0xC0 or 0xD0))
                s.WriteByte(e.Data2);
        }
        WriteDelta(s, Math.Max(0, endTick - tick));
        s.Write([0xFF, 0x2F, 0x00]);
        return s.ToArray();
    }

    /// <summary>The largest delta-time a MIDI file can state (28 bits: 93 min at one tick a sample at 48 kHz).</summary>
    public const long MaxDelta = 0x0FFFFFFF;

    /// <summary>
    /// A delta-time of any length: a gap longer than <see cref="MaxDelta"/> (a rehearsal left running
    /// over a break) is written as several, each full one carried by an empty text meta event, which
    /// every reader skips — the event after it lands on its exact tick.
    /// </summary>
    private static void WriteDelta(Stream s, long delta)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delta);
        while (delta > MaxDelta)
        {
            WriteVariableLength(s, MaxDelta);
            s.Write([0xFF, 0x01, 0x00]);
            delta -= MaxDelta;
        }
        WriteVariableLength(s, delta);
    }

    private static void WriteVariableLength(Stream s, long value)
    {
        if (value is < 0 or > 0x0FFFFFFF)
            throw new ArgumentOutOfRangeException(nameof(value), value, "a gap between events longer than a MIDI file can hold (0x0FFFFFFF ticks)");
        Span<byte> buffer = stackalloc byte[4];
        int n = 0;
        buffer[3] = (byte)(value & 0x7F);
        n++;
        while ((value >>= 7) != 0)
        {
            buffer[3 - n] = (byte)(0x80 | (value & 0x7F));
            n++;
        }
        s.Write(buffer[(4 - n)..]);
    }

    private static void WriteBigEndian(Stream s, long value, int bytes)
    {
        for (int i = bytes - 1; i >= 0; i--)
            s.WriteByte((byte)(value >> (8 * i)));
    }
}
