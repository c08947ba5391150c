namespace Losses.Bench.Voices;

/// <summary>
/// What every voice-count trial plays, whoever renders it (the engine's bank, the scalar baseline,
/// scsynth): which note each voice holds and the detune steps every voice glides to.
/// </summary>
internal static class LoadShape
{
    public const int SampleRate = 48000;
    /// <summary>A held chord's gradient steps: every voice gets a new detune target this often (samples).</summary>
    public const int DetuneEvery = 256;

    /// <summary>Voice v holds a note below 60 (they ring 8 s, longer than any trial), spread over two octaves.</summary>
    public static int Note(int v) => 36 + v % 24;

    public static int Velocity(int v) => 64 + v % 64;

    /// <summary>The next detune in [0, 0.05) from a plain LCG (one draw per voice per step).</summary>
    public static float NextDetune(ref uint seed)
    {
        seed = seed * 1664525u + 1013904223u;
        return (seed >> 8) * (0.05f / 16777216f);
    }
}
