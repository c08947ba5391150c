using Losses.Reference;
using Losses.Engine.Config;
using Losses.Engine.Core;
using Losses.Engine.Learning;
using Losses.Engine.Synthesis;
using Xunit.Abstractions;

namespace Losses.Tests.Synthesis;

/// <summary>
/// The vector voice bank against the plain scalar baseline of bench/ (one voice, one partial,
/// one MathF.Sin at a time): the same notes, releases and detune changes, at samples that do
/// not line up with the control grid, must give the same audio within 1e-5 — on both vector
/// paths (the Vector512 one emulated where the CPU has no AVX-512, which the output says).
/// </summary>
public class VoiceBankBaselineTests(ITestOutputHelper output)
{
    private const int Rate = 48000;

    public static TheoryData<int, int, ulong, bool, VectorWidth> Cases()
    {
        var data = new TheoryData<int, int, ulong, bool, VectorWidth>();
        foreach (VectorWidth width in new[] { VectorWidth.Narrow256, VectorWidth.Wide512 })
        {
            data.Add(5, 64, 1, false, width);
            data.Add(5, 13, 2, false, width);
            data.Add(1, 9, 3, false, width);
            data.Add(7, 40, 4, false, width);
            data.Add(32, 16, 5, false, width);
            data.Add(5, 24, 6, true, width);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_vector_bank_sounds_like_the_scalar_baseline_within_1e_5(int partials, int polyphony, ulong seed, bool ldd, VectorWidth width)
    {
        output.WriteLine($"vector path: {VectorPath.Describe(width)}");
        var settings = new VoiceSettings { Partials = partials, Polyphony = polyphony, ReleaseSeconds = 0.5f, LongReleaseSeconds = 1f };
        // The original piece's voice: a fixed amplitude, and the amplitude following the detune (1 − d).
        if (ldd) settings = settings with { FixedAmplitude = 0.4f, DetuneAmplitude = 1f };
        var bank = new VoiceBank(settings, Rate, maxDetune: 0.5f, seed, width: width);
        var baseline = new ScalarVoiceBank(settings, Rate, maxDetune: 0.5f, seed);
        var rng = new Rng(seed + 100);

        int total = 3 * Rate;
        var left = new float[total]; var right = new float[total];
        var baseLeft = new float[total]; var baseRight = new float[total];
        int pos = 0;
        long nextControl = 0;
        while (pos < total)
        {
            if (pos == nextControl)
            {
                bank.ControlUpdate();
                baseline.ControlUpdate();
                nextControl += VoiceBank.ControlPeriod;
            }
            // Events land between control points: new notes while voices are free, releases, detune steps.
            if (rng.NextFloat() < 0.3f)
            {
                int action = rng.NextInt(0, 2);
                int voice = rng.NextInt(0, polyphony - 1);
                if (action == 0 && bank.ActiveVoices < polyphony)
                {
                    int note = rng.NextInt(30, 100), velocity = rng.NextInt(20, 128);
                    float detune = rng.Uniform(0f, 0.2f);
                    Assert.Equal(bank.NoteOn(note, velocity, detune), baseline.NoteOn(note, velocity, detune));
                }
                else if (action == 1 && rng.NextFloat() < 0.2f)
                {
                    bank.Release(voice);
                    baseline.Release(voice);
                }
                else if (action == 2)
                {
                    float detune = rng.Uniform(ldd ? -0.5f : 0f, 0.5f);
                    bank.SetDetuneTarget(voice, detune);
                    baseline.SetDetuneTarget(voice, detune);
                }
            }
            int length = (int)Math.Min(Math.Min(nextControl - pos, total - pos), rng.NextInt(1, 40));
            bank.Render(left.AsSpan(pos, length), right.AsSpan(pos, length));
            baseline.Render(baseLeft.AsSpan(pos, length), baseRight.AsSpan(pos, length));
            pos += length;
        }

        Assert.True(baseLeft.Max(MathF.Abs) > 0.05f, "the run is audible");
        float worst = 0f;
        for (int i = 0; i < total; i++) worst = MathF.Max(worst, MathF.Max(MathF.Abs(left[i] - baseLeft[i]), MathF.Abs(right[i] - baseRight[i])));
        output.WriteLine($"largest difference from the baseline: {worst:0.00e+0}");
        for (int i = 0; i < total; i++)
        {
            if (MathF.Abs(left[i] - baseLeft[i]) > 1e-5f || MathF.Abs(right[i] - baseRight[i]) > 1e-5f)
                Assert.Fail($"sample {i}: bank ({left[i]}, {right[i]}) vs baseline ({baseLeft[i]}, {baseRight[i]})");
        }
        Assert.Equal(bank.ActiveVoices, baseline.ActiveVoices);
    }
}
