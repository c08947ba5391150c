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

    /// <summary>Both render kernels side by side (Vector512 runs emulated where the CPU lacks AVX-512).</summary>
    [Params(VectorWidth.Narrow256, VectorWidth.Wide512)]
    public VectorWidth Width { get; set; }

    [IterationSetup]
    public void Setup()
    {
        var settings = new VoiceSettings { Polyphony = Voices, LongReleaseSeconds = 60f };
        _bank = new VoiceBank(settings, 48000, maxDetune: 0.5f, seed: 1, width: Width);
        for (int v = 0; v < Voices; v++) _bank.NoteOn(36 + v % 24, 100, 0f);
        _bank.ControlUpdate();
        _bank.Render(_left.AsSpan(0, VoiceBank.ControlPeriod), _right.AsSpan(0, VoiceBank.ControlPeriod)); // partial sums for the filter-only benchmark
    }

    private enum Part { Whole, Oscillators, Filters }

    [Benchmark(Description = "voice bank block (64 samples)")]
    public void Block64() => RunBlock(Part.Whole);

    /// <summary>The oscillator bank alone: phasors, overtones and envelope, the low-pass compiled out.</summary>
    [Benchmark(Description = "oscillators only (64 samples)")]
    public void Oscillators64() => RunBlock(Part.Oscillators);

    /// <summary>The low-pass chains and the mix alone (two vectors' chains interleaved), on the sums of the set-up's render.</summary>
    [Benchmark(Description = "low-pass and mix only (64 samples)")]
    public void Filters64() => RunBlock(Part.Filters);

    private void RunBlock(Part part)
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
            switch (part)
            {
                case Part.Oscillators: _bank.RenderOscillators(l, r); break;
                case Part.Filters: _bank.RenderFilters(l, r); break;
                default: _bank.Render(l, r); break;
            }
        }
    }
}
