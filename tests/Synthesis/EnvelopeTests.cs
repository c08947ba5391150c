using Losses.Engine.Config;
using Losses.Engine.Synthesis;
using static Losses.Tests.Audio.Rendering;

namespace Losses.Tests.Synthesis;

/// <summary>The reference synth's percussive envelope, and no partial — the fundamental included — above 0.45·fs.</summary>
public class EnvelopeTests
{
    private const int Rate = 48000;

    /// <summary>
    /// SuperCollider's Env.perc(0.1, 2, 1, −4), written out: each segment is
    /// from + (to − from)·(1 − e^{c·t/T}) / (1 − e^c) with c = −4.
    /// </summary>
    private static double EnvPerc(double t, double attack, double release)
    {
        const double c = -4;
        if (t < attack) return (1 - Math.Exp(c * t / attack)) / (1 - Math.Exp(c));
        double p = Math.Min(1, (t - attack) / release);
        return 1 - (1 - Math.Exp(c * p)) / (1 - Math.Exp(c));
    }

    /// <summary>Amplitude of the sinusoid at <paramref name="hz"/> around sample <paramref name="centre"/>: a least-squares fit over one period.</summary>
    private static double Amplitude(float[] x, int centre, double hz)
    {
        int half = (int)Math.Round(Rate / hz / 2);
        double ss = 0, cc = 0, sc = 0, xs = 0, xc = 0;
        for (int i = centre - half; i < centre + half; i++)
        {
            double w = 2 * Math.PI * hz * i / Rate;
            double s = Math.Sin(w), c = Math.Cos(w);
            ss += s * s; cc += c * c; sc += s * c; xs += x[i] * s; xc += x[i] * c;
        }
        double det = ss * cc - sc * sc;
        double a = (xs * cc - xc * sc) / det, b = (xc * ss - xs * sc) / det;
        return Math.Sqrt(a * a + b * b);
    }

    [Fact]
    public void A_note_follows_Env_perc_with_curve_minus_4_through_attack_and_decay()
    {
        // One partial (a pure sine) at C4, velocity 127, key held: only the envelope shapes it.
        var config = EngineConfig.Default with { Voice = new VoiceSettings { Partials = 1 } };
        const int onset = 3200; // on the control grid: the decay starts exactly when the attack ends
        Result r = Run([new(onset, 0x90, 60, 127)], onset + (long)(2.3 * Rate), config: config);
        double hz = 440 * Math.Pow(2, -9 / 12.0);
        double peak = Amplitude(r.Left, onset + (int)(0.1 * Rate) + 200, hz) / EnvPerc(0.1 + 200.0 / Rate, 0.1, 2);
        double[] times = [0.005, 0.010, 0.017, 0.025, 0.050, 0.075, 0.2, 0.35, 0.6, 1.1, 1.6, 2.0];
        foreach (double t in times)
        {
            double expected = EnvPerc(t, 0.1, 2);
            double measured = Amplitude(r.Left, onset + (int)Math.Round(t * Rate), hz) / peak;
            double db = 20 * Math.Log10(measured / expected);
            Assert.True(Math.Abs(db) < 0.3, $"at {t * 1000:0} ms: {measured:0.00000} vs Env.perc {expected:0.00000} ({db:+0.00;-0.00} dB)");
        }
        // Half the peak amplitude (−6 dB) about 17 ms into the attack — a linear ramp would take 50.
        Assert.InRange(Amplitude(r.Left, onset + (int)(0.017 * Rate), hz) / peak, 0.47, 0.53);
        Assert.True(r.Processor.Voices.ActiveVoices == 0, "the voice is free once its decay has ended");
    }

    [Fact]
    public void At_8_kHz_a_fundamental_above_3_6_kHz_is_silent_and_one_below_sounds_without_its_overtones()
    {
        const int rate = 8000;
        // Note 127 (12.5 kHz) would alias; note 100 (2637 Hz) sounds, its 5274 Hz second partial does not.
        Result high = Run([new(800, 0x90, 127, 127)], rate, sampleRate: rate);
        Assert.True(high.Left.Max(MathF.Abs) < 1e-7f && high.Right.Max(MathF.Abs) < 1e-7f, "note 127 at 8 kHz sounds");

        Result low = Run([new(800, 0x90, 100, 127)], rate, sampleRate: rate);
        double f0 = 440 * Math.Pow(2, 31 / 12.0);
        float[] x = low.Left.AsSpan(2000, 4000).ToArray();
        var windowed = x.Select((v, i) => v * (0.5 - 0.5 * Math.Cos(2 * Math.PI * i / (x.Length - 1)))).ToArray();
        double fundamental = Power(windowed, rate, f0);
        double alias = Power(windowed, rate, rate - 2 * f0); // where the second partial would fold to
        Assert.True(fundamental > 1e-3, $"the fundamental sounds ({fundamental})");
        Assert.True(alias < fundamental * 1e-8, $"folded second partial {alias} vs fundamental {fundamental}");
    }
}
