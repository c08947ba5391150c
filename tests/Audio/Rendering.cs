using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Midi;
using Losses.Engine.Synthesis;
using Losses.Protocol;

namespace Losses.Tests.Audio;

/// <summary>Drives the processor over a list of timed events, block by block, as the offline renderer does.</summary>
public static class Rendering
{
    public sealed record Result(float[] Left, float[] Right, LossesProcessor Processor);

    public static Result Run(IReadOnlyList<TimedMidiEvent> events, long totalSamples, int block = 64,
        EngineConfig? config = null, ulong seed = 1, int sampleRate = 48000, Action<LossesProcessor, long>? afterBlock = null,
        VectorWidth? width = null, ModelCatalog? models = null, IFrameSink? frames = null)
    {
        var processor = new LossesProcessor(config ?? EngineConfig.Default, seed, width, models) { FrameSink = frames };
        processor.Prepare(sampleRate, block);
        var left = new float[totalSamples];
        var right = new float[totalSamples];
        var blockEvents = new List<MidiEvent>();
        int next = 0;
        for (long start = 0; start < totalSamples; start += block)
        {
            int n = (int)Math.Min(block, totalSamples - start);
            blockEvents.Clear();
            while (next < events.Count && events[next].SampleTime < start + n)
            {
                blockEvents.Add(events[next].At((int)(events[next].SampleTime - start)));
                next++;
            }
            processor.Process(left.AsSpan((int)start, n), right.AsSpan((int)start, n), blockEvents.ToArray());
            afterBlock?.Invoke(processor, start + n);
        }
        return new Result(left, right, processor);
    }

    public static TimedMidiEvent On(double seconds, int note, int velocity = 100, int sampleRate = 48000) =>
        new((long)Math.Round(seconds * sampleRate), 0x90, (byte)note, (byte)velocity);

    public static TimedMidiEvent Off(double seconds, int note, int sampleRate = 48000) =>
        new((long)Math.Round(seconds * sampleRate), 0x80, (byte)note, 0);

    public static TimedMidiEvent Cc(double seconds, int controller, int value, int sampleRate = 48000) =>
        new((long)Math.Round(seconds * sampleRate), 0xB0, (byte)controller, (byte)value);

    /// <summary>
    /// The frequency of the strongest component within ±<paramref name="searchHz"/> of
    /// <paramref name="expectedHz"/>: a Hann-windowed DFT scanned on a fine grid, then refined
    /// by a parabola through the top three points.
    /// </summary>
    public static double PeakFrequency(ReadOnlySpan<float> signal, int sampleRate, double expectedHz, double searchHz)
    {
        int n = signal.Length;
        var windowed = new double[n];
        for (int i = 0; i < n; i++) windowed[i] = signal[i] * (0.5 - 0.5 * Math.Cos(2 * Math.PI * i / (n - 1)));
        double step = 0.25;
        int count = (int)(2 * searchHz / step) + 1;
        var power = new double[count];
        int best = 0;
        for (int j = 0; j < count; j++)
        {
            power[j] = Power(windowed, sampleRate, expectedHz - searchHz + j * step);
            if (power[j] > power[best]) best = j;
        }
        double f = expectedHz - searchHz + best * step;
        if (best > 0 && best < count - 1)
        {
            double a = Math.Log(power[best - 1]), b = Math.Log(power[best]), c = Math.Log(power[best + 1]);
            double denom = a - 2 * b + c;
            if (denom < 0) f += step * 0.5 * (a - c) / denom;
        }
        return f;
    }

    /// <summary>Goertzel power at an arbitrary frequency.</summary>
    public static double Power(double[] x, int sampleRate, double hz)
    {
        double w = 2 * Math.PI * hz / sampleRate;
        double coeff = 2 * Math.Cos(w);
        double s1 = 0, s2 = 0;
        foreach (double v in x)
        {
            double s0 = v + coeff * s1 - s2;
            s2 = s1;
            s1 = s0;
        }
        return s1 * s1 + s2 * s2 - coeff * s1 * s2;
    }
}
