using System.Diagnostics;
using Losses.Engine.Config;
using Losses.Engine.Synthesis;
using Losses.Reference;

namespace Losses.Bench.Voices;

/// <summary>
/// One trial: <c>voices</c> reference voices, all sounding (notes below 60 ring 8 s, longer
/// than any trial) and all detuning (new detune targets every 256 samples of the sample clock,
/// as a held chord's steps do), rendered block by block the way the processor does — control
/// updates on the fixed 32-sample grid, renders split there. Returns the per-block times.
/// </summary>
internal static class VoiceLoad
{
    public const int SampleRate = LoadShape.SampleRate;

    public readonly record struct Timing(double P99Ns, double MedianNs, double P10Ns);

    public static Timing Run(bool baseline, int voices, int partials, int block, double seconds)
    {
        var settings = new VoiceSettings { Partials = partials, Polyphony = voices };
        IVoiceBank bank = baseline ? new ScalarVoiceBank(settings, SampleRate, maxDetune: 0.5f, seed: 1) : new EngineBank(settings, SampleRate);
        for (int v = 0; v < voices; v++) bank.NoteOn(LoadShape.Note(v), LoadShape.Velocity(v), 0f);

        var left = new float[block];
        var right = new float[block];
        int warmup = Math.Max(20, 4096 / block);
        int measured = Math.Max(50, (int)(seconds * SampleRate / block));
        var times = new long[measured];
        long clock = 0, nextControl = 0, nextDetune = 0;
        uint detuneSeed = 1;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        for (int b = -warmup; b < measured; b++)
        {
            long start = Stopwatch.GetTimestamp();
            int pos = 0;
            while (pos < block)
            {
                if (clock == nextControl) { bank.ControlUpdate(); nextControl += VoiceBank.ControlPeriod; }
                if (clock == nextDetune)
                {
                    // A gradient step: every voice glides to a new detune in [0, 0.05).
                    for (int v = 0; v < voices; v++) bank.SetDetuneTarget(v, LoadShape.NextDetune(ref detuneSeed));
                    nextDetune += LoadShape.DetuneEvery;
                }
                int length = (int)Math.Min(block - pos, Math.Min(nextControl, nextDetune) - clock);
                bank.Render(left.AsSpan(pos, length), right.AsSpan(pos, length));
                pos += length;
                clock += length;
            }
            long elapsed = Stopwatch.GetTimestamp() - start;
            if (b >= 0) times[b] = elapsed;
        }
        if (bank.ActiveVoices != voices) throw new InvalidOperationException($"only {bank.ActiveVoices} of {voices} voices sounded to the end");

        Array.Sort(times);
        double toNs = 1e9 / Stopwatch.Frequency;
        return new Timing(times[(int)Math.Ceiling(0.99 * measured) - 1] * toNs, times[measured / 2] * toNs, times[measured / 10] * toNs);
    }
}
