using Losses.Engine.Midi;

namespace Losses.Tests.Midi;

/// <summary>Hand-written Standard MIDI File bytes for tests, and where the test files live.</summary>
internal static class Smf
{
    public const int Rate = 48_000;

    /// <summary>The tick (rounded) of a sample time at a constant tempo, to turn sample times into a file's ticks.</summary>
    public static long TickAt(long sampleTime, int sampleRate, int ticksPerQuarterNote, int microsecondsPerQuarterNote)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleTime);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ticksPerQuarterNote);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(microsecondsPerQuarterNote);
        Int128 numerator = (Int128)sampleTime * ticksPerQuarterNote * 1_000_000;
        Int128 denominator = (Int128)sampleRate * microsecondsPerQuarterNote;
        return (long)((numerator * 2 + denominator) / (denominator * 2));
    }

    public static byte[] Header(int format, int tracks, int division) =>
        [(byte)'M', (byte)'T', (byte)'h', (byte)'d', 0, 0, 0, 6,
         (byte)(format >> 8), (byte)format, (byte)(tracks >> 8), (byte)tracks, (byte)(division >> 8), (byte)division];

    /// <summary>An 'MTrk' chunk around the given event bytes (the caller writes the end-of-track).</summary>
    public static byte[] Track(params byte[] body)
    {
        int n = body.Length;
        return [(byte)'M', (byte)'T', (byte)'r', (byte)'k', (byte)(n >> 24), (byte)(n >> 16), (byte)(n >> 8), (byte)n, .. body];
    }

    public static byte[] File(byte[] header, params byte[][] tracks) => [.. header, .. tracks.SelectMany(t => t)];

    public static readonly byte[] EndOfTrack = [0x00, 0xFF, 0x2F, 0x00];

    /// <summary>The sample of a tick at one constant tempo, exactly rounded.</summary>
    public static long Sample(long tick, int tempo = 500_000, int ppq = 480, int rate = Rate)
    {
        var num = (System.Numerics.BigInteger)tick * tempo * rate;
        var den = (System.Numerics.BigInteger)ppq * 1_000_000;
        return (long)((2 * num + den) / (2 * den));
    }

    public static MidiPerformance Parse(byte[] data, string name = "test.mid") => MidiPerformance.Parse(data, name, Rate);
}
