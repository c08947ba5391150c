using System.Globalization;
using Losses.Engine.Config;

namespace Losses.Engine.Synthesis;

/// <summary>
/// Where each MIDI note sounds: a scale of ratios within a period (2/1 for an octave), laid out
/// key by key from a reference note at a reference frequency — the Scala convention, so a
/// 19-note scale spans 19 keys per period. The partials and their detune sit on top of it.
/// </summary>
public sealed class Tuning
{
    private readonly float[] _hz = new float[128];

    private Tuning(string name, double[] ratios, double period, int referenceNote, double referenceHz)
    {
        Name = name;
        Steps = ratios.Length;
        for (int note = 0; note < 128; note++)
        {
            int k = note - referenceNote;
            int octave = (int)Math.Floor((double)k / Steps);
            int degree = k - octave * Steps;
            _hz[note] = (float)(referenceHz * ratios[degree] * Math.Pow(period, octave));
        }
    }

    private Tuning(int referenceNote, float referenceHz)
    {
        Name = "equal";
        Steps = 12;
        // As before tunings existed (float, A4 = 440 Hz by default), so equal-tempered renders are unchanged.
        for (int note = 0; note < 128; note++) _hz[note] = referenceHz * MathF.Pow(2f, (note - referenceNote) / 12f);
    }

    public string Name { get; }

    /// <summary>Scale steps per period.</summary>
    public int Steps { get; }

    /// <summary>The fundamental of a MIDI note, Hz.</summary>
    public float Frequency(int note) => _hz[note & 0x7F];

    public static Tuning Equal { get; } = new(69, 440f);

    /// <summary>The tuning a config names (<see cref="Scale.From"/>: equal, a named scale or a Scala .scl file).</summary>
    public static Tuning From(TuningSettings settings)
    {
        Scale scale = Scale.From(settings);
        return scale.Ratios is null
            ? new Tuning(settings.ReferenceNote, (float)settings.ReferenceHz)
            : new Tuning(scale.Name, scale.Ratios, scale.Period, settings.ReferenceNote, settings.ReferenceHz);
    }
}
