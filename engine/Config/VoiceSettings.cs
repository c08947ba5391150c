
namespace Losses.Engine.Config;

/// <summary>The reference voice (docs/design.md): what every voice of the bank sounds like.</summary>
public sealed record VoiceSettings
{
    /// <summary>Fundamental plus overtones; 5 = fundamental + 4 overtones.</summary>
    [Limits(1, 32)] public int Partials { get; init; } = 5;
    [Limits(0.001, 10)] public float AttackSeconds { get; init; } = 0.1f;
    /// <summary>Length of the percussive decay, from the peak to silence.</summary>
    [Limits(0.01, 60)] public float ReleaseSeconds { get; init; } = 2f;
    /// <summary>
    /// Curvature of the attack and decay, as SuperCollider's Env.perc(attack, release, 1, curve):
    /// −4 (the reference synth's) rises fast and decays steeply then gently; 0 is linear.
    /// </summary>
    [Limits(-20, 20)] public float EnvelopeCurve { get; init; } = -4f;
    /// <summary>Decay time of notes below <see cref="LongReleaseBelow"/>.</summary>
    [Limits(0.01, 60)] public float LongReleaseSeconds { get; init; } = 8f;
    [Limits(0, 128)] public int LongReleaseBelow { get; init; } = 60;
    /// <summary>Time for a released key (or a part change) to damp a voice by 60 dB.</summary>
    [Limits(0.001, 10)] public float DampSeconds { get; init; } = 0.3f;
    [Limits(20, 20000)] public float CutoffLowHz { get; init; } = 1000f;
    [Limits(20, 20000)] public float CutoffHighHz { get; init; } = 3000f;
    /// <summary>Rate of the smooth noise that sweeps the low-pass.</summary>
    [Limits(0, 20)] public float SweepHz { get; init; } = 1f;
    /// <summary>0 = every partial centred, 1 = overtones spread hard left and right.</summary>
    [Limits(0, 1)] public float StereoSpread { get; init; } = 0.8f;
    /// <summary>Time constant of the detune glide (one-pole, stepped at every control point).</summary>
    [Limits(0.0001, 1)] public float DetuneGlideSeconds { get; init; } = 0.01f;
    [Limits(1, 16384)] public int Polyphony { get; init; } = 64;
    /// <summary>0: a note's amplitude is velocity² (velocity/127); above 0, every note has this amplitude whatever its velocity.</summary>
    [Limits(0, 1)] public float FixedAmplitude { get; init; } = 0f;
    /// <summary>The amplitude follows the detune: × (1 − this·d). 0: it does not; 1: the original piece's amp = 1 − d.</summary>
    [Limits(0, 10)] public float DetuneAmplitude { get; init; } = 0f;

    /// <summary>A note's amplitude at this velocity (1..127).</summary>
    public float AmplitudeOf(int velocity)
    {
        if (FixedAmplitude > 0f) return FixedAmplitude;
        float v = Math.Clamp(velocity, 1, 127) / 127f;
        return v * v;
    }

    /// <summary>
    /// Coefficient of the one-pole detune glide stepped once per control period of
    /// <paramref name="period"/> samples: the same time constant as a per-sample glide.
    /// </summary>
    public float ControlGlideCoefficient(float sampleRate, int period) => (float)(1 - Math.Exp(-period / (DetuneGlideSeconds * (double)sampleRate)));

    /// <summary>Per-sample envelope multiplier that damps a released voice by 60 dB in <see cref="DampSeconds"/>.</summary>
    public float DampMultiplier(float sampleRate) => MathF.Exp(-6.90775527898f / (DampSeconds * sampleRate));

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
    public (float Mul, float Add) Segment(float seconds, float sampleRate, float from, float to)
    {
        double n = Math.Max(1.0, (double)seconds * sampleRate);
        double c = EnvelopeCurve;
        if (Math.Abs(c) < 1e-3) return (1f, (float)((to - from) / n));
        double asymptote = from + (to - from) / (1 - Math.Exp(c));
        double grow = Math.Exp(c / n);
        return ((float)grow, (float)(asymptote * (1 - grow)));
    }

    /// <summary>
    /// Equal-power left/right gains of partial k: the fundamental centred, the overtones
    /// alternating right and left, wider as they rise, up to <see cref="StereoSpread"/>.
    /// </summary>
    public (float Left, float Right) Pan(int k)
    {
        float position = 0f;
        if (k > 0 && Partials > 1)
        {
            int rank = (k + 1) / 2, ranks = Partials / 2;
            position = StereoSpread * rank / ranks * (k % 2 == 1 ? 1f : -1f);
        }
        float angle = (position + 1f) * MathF.PI / 4f;
        return (MathF.Cos(angle), MathF.Sin(angle));
    }
}
