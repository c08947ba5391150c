using Losses.Engine.Config;

namespace Losses.Engine.Synthesis;

/// <summary>What a voice's settings mean in samples: amplitudes, envelope segments, glides, pans (the config holds only the numbers).</summary>
public static class VoiceMaths
{
    /// <summary>A note's amplitude at this velocity (1..127).</summary>
    public static float AmplitudeOf(this VoiceSettings v, int velocity)
    {
        if (v.FixedAmplitude > 0f) return v.FixedAmplitude;
        float x = Math.Clamp(velocity, 1, 127) / 127f;
        return x * x;
    }

    /// <summary>
    /// Coefficient of the one-pole detune glide stepped once per control period of
    /// <paramref name="period"/> samples: the same time constant as a per-sample glide.
    /// </summary>
    public static float ControlGlideCoefficient(this VoiceSettings v, float sampleRate, int period) => (float)(1 - Math.Exp(-period / (v.DetuneGlideSeconds * (double)sampleRate)));

    /// <summary>Per-sample envelope multiplier that damps a released voice by 60 dB in <see cref="VoiceSettings.DampSeconds"/>.</summary>
    public static float DampMultiplier(this VoiceSettings v, float sampleRate) => MathF.Exp(-6.90775527898f / (v.DampSeconds * sampleRate));

    /// <summary>
    /// Partial k (0 = the fundamental) of a note at f₀ sounds only below 0.45·fs — the overtones at
    /// the largest detune too — so nothing aliases, at any sample rate.
    /// </summary>
    public static bool PartialIsAudible(int k, float f0, float sampleRate, float maxDetune) =>
        (k + 1) * f0 < (k == 0 ? 0.45f * sampleRate : 0.45f * sampleRate / (1f + Math.Max(0f, maxDetune)));

    /// <summary>
    /// A curved envelope segment from <paramref name="from"/> to <paramref name="to"/> in
    /// <paramref name="seconds"/> as a per-sample recurrence level ← level·mul + add: SuperCollider's
    /// curve segment y = from + (to − from)·(1 − e^{c·t/T}) / (1 − e^c), which is an affine map of a
    /// geometric sequence (EnvGen computes it the same way). It passes <paramref name="to"/> at T and
    /// goes on beyond it; the voice clamps and moves to its next stage.
    /// </summary>
    public static (float Mul, float Add) Segment(this VoiceSettings v, float seconds, float sampleRate, float from, float to)
    {
        double n = Math.Max(1.0, (double)seconds * sampleRate);
        double c = v.EnvelopeCurve;
        if (Math.Abs(c) < 1e-3) return (1f, (float)((to - from) / n));
        double asymptote = from + (to - from) / (1 - Math.Exp(c));
        double grow = Math.Exp(c / n);
        return ((float)grow, (float)(asymptote * (1 - grow)));
    }

    /// <summary>
    /// Equal-power left/right gains of partial k: the fundamental centred, the overtones
    /// alternating right and left, wider as they rise, up to <see cref="VoiceSettings.StereoSpread"/>.
    /// </summary>
    public static (float Left, float Right) Pan(this VoiceSettings v, int k)
    {
        float position = 0f;
        if (k > 0 && v.Partials > 1)
        {
            int rank = (k + 1) / 2, ranks = v.Partials / 2;
            position = v.StereoSpread * rank / ranks * (k % 2 == 1 ? 1f : -1f);
        }
        float angle = (position + 1f) * MathF.PI / 4f;
        return (MathF.Cos(angle), MathF.Sin(angle));
    }
}
