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
}
