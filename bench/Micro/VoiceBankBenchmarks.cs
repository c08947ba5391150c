using BenchmarkDotNet.Attributes;
using Losses.Engine.Config;
using Losses.Engine.Synthesis;

namespace Losses.Bench.Micro;

/// <summary>
/// One 64-sample host block of the voice bank (two control sub-blocks), every voice sounding and
/// gliding to a new detune every four blocks. Divide by voices × 5 × 64 for ns per partial-sample.
/// Each iteration starts a fresh bank (outside the measurement) and runs 1024 blocks (1.4 s of
/// audio), so every voice sounds throughout: BenchmarkDotNet would otherwise run one bank for
/// minutes of audio and measure silent, skipped voices.
/// </summary>
[InvocationCount(1024)]
public class VoiceBankBenchmarks
{
    private const int Block = 64;
    private VoiceBank _bank = null!;
    private readonly float[] _left = new float[Block], _right = new float[Block];
    private long _blocks;
    private uint _seed = 1;

    [Params(16, 256, 4096)]
    public int Voices { get; set; }

    [IterationSetup]
    public void Setup()
    {
        var settings = new VoiceSettings { Polyphony = Voices, LongReleaseSeconds = 60f };
        _bank = new VoiceBank(settings, 48000, maxDetune: 0.5f, seed: 1);
        for (int v = 0; v < Voices; v++) _bank.NoteOn(36 + v % 24, 100, 0f);
    }

    [Benchmark(Description = "voice bank block (64 samples)")]
    public void Block64() => RunBlock(oscillatorsOnly: false);

    /// <summary>The oscillator bank alone: sines and envelope, the low-pass compiled out.</summary>
    [Benchmark(Description = "oscillators only (64 samples)")]
    public void Oscillators64() => RunBlock(oscillatorsOnly: true);

    private void RunBlock(bool oscillatorsOnly)
    {
        if (_blocks++ % 4 == 0)
        {
            for (int v = 0; v < Voices; v++)
            {
                _seed = _seed * 1664525u + 1013904223u;
                _bank.SetDetuneTarget(v, (_seed >> 8) * (0.05f / 16777216f));
            }
        }
        for (int pos = 0; pos < Block; pos += VoiceBank.ControlPeriod)
        {
            _bank.ControlUpdate();
            Span<float> l = _left.AsSpan(pos, VoiceBank.ControlPeriod), r = _right.AsSpan(pos, VoiceBank.ControlPeriod);
            if (oscillatorsOnly) _bank.RenderOscillators(l, r);
            else _bank.Render(l, r);
        }
    }
}
