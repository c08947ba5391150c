using Losses.Protocol;
using Losses.Protocol.Osc;

namespace Losses.Engine.Osc;

/// <summary>
/// One frame as the bundle `./losses osc` sends (the README's OSC table lists the same addresses).
/// Events — key presses, steps, new targets, part changes — go out with every frame that has them;
/// the continuous values (part, model, loss, θ, …) go with those and otherwise at most at the
/// thinning rate, on the engine's sample clock so the choice of frames does not depend on timing.
/// </summary>
public sealed class FrameMessages
{
    private readonly double _rateHz;
    private long _nextContinuous = long.MinValue;
    private long _generation = -1;
    private double _epochUnixSeconds;

    /// <param name="rateHz">Continuous values at most this often (0: with every frame).</param>
    public FrameMessages(double rateHz)
    {
        _rateHz = rateHz;
    }

    /// <summary>
    /// The frame's time tag: the engine's sample clock laid on the wall clock once per engine run
    /// (the first frame read fixes where sample 0 was), so successive tags differ exactly as the frames' samples do.
    /// </summary>
    public OscTimeTag TimeTag(in Frame f, long generation)
    {
        double seconds = f.SampleRate > 0 ? (double)f.SampleTime / f.SampleRate : 0;
        if (generation != _generation)
        {
            _generation = generation;
            _epochUnixSeconds = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0 - seconds;
            _nextContinuous = long.MinValue;
        }
        return OscTimeTag.FromUnixSeconds(_epochUnixSeconds + seconds);
    }

    /// <summary>True when this frame's continuous values are due (events make them due too).</summary>
    public bool ContinuousDue(in Frame f)
    {
        bool events = f.NoteOnCount > 0 || (f.Flags & (FrameFlags.Stepped | FrameFlags.NewTarget | FrameFlags.PartChanged | FrameFlags.Reset)) != 0;
        if (!events && f.SampleTime < _nextContinuous) return false;
        long interval = _rateHz > 0 && f.SampleRate > 0 ? Math.Max(1, (long)Math.Round(f.SampleRate / _rateHz)) : 0;
        // Thinned values are due again one interval after the last time they went out.
        _nextContinuous = f.SampleTime + interval;
        return true;
    }

    /// <summary>Writes the frame's bundle; false when the frame has nothing to send (thinned, no events).</summary>
    public bool Write(ref OscWriter w, in Frame f, OscTimeTag time, bool continuous)
    {
        bool stepped = (f.Flags & FrameFlags.Stepped) != 0;
        int presses = Math.Clamp(f.NoteOnCount, 0, Frame.MaxNoteOns);
        if (!continuous && !stepped && presses == 0) return false;
        w.BeginBundle(time);
        for (int i = 0; i < presses; i++)
        {
            w.BeginMessage("/losses/note", ",ii");
            w.Int(f.NoteOns[i].Note);
            w.Int(f.NoteOns[i].Velocity);
            w.EndMessage();
        }
        if (stepped)
        {
            w.BeginMessage("/losses/step", ",ii");
            w.Int((int)Math.Min(f.TargetSteps, int.MaxValue));
            w.Int((int)Math.Min(f.TotalSteps, int.MaxValue));
            w.EndMessage();
        }
        if ((f.Flags & FrameFlags.NewTarget) != 0)
        {
            w.BeginMessage("/losses/newtarget", ",s");
            w.String(ModelName(f.Model));
            w.EndMessage();
        }
        if (continuous) WriteContinuous(ref w, f);
        w.EndBundle();
        return true;
    }

    private static void WriteContinuous(ref OscWriter w, in Frame f)
    {
        Int(ref w, "/losses/part", f.Part);
        w.BeginMessage("/losses/model", ",s");
        w.String(ModelName(f.Model));
        w.EndMessage();
        Float(ref w, "/losses/loss", f.Loss);
        Float(ref w, "/losses/detune", f.Detune);
        int n = Parameters(f.Model);
        Vector(ref w, "/losses/target", f.Target, n);
        Vector(ref w, "/losses/theta", f.Theta, n);
        Vector(ref w, "/losses/gradient", f.Gradient, n);
        if (f.Model == FrameModel.Knot)
        {
            w.BeginMessage("/losses/knot", ",iii");
            w.Int(f.KnotN[0]); w.Int(f.KnotN[1]); w.Int(f.KnotN[2]);
            w.EndMessage();
        }
        w.BeginMessage("/losses/targets", ",ii");
        w.Int(f.CubicTargets);
        w.Int(f.KnotTargets);
        w.EndMessage();
        Int(ref w, "/losses/voices", f.Voices);
        w.BeginMessage("/losses/peak", ",ff");
        w.Float(f.PeakLeft);
        w.Float(f.PeakRight);
        w.EndMessage();
        Float(ref w, "/losses/seconds", f.SampleRate > 0 ? (float)((double)f.SampleTime / f.SampleRate) : 0f);

        // Held notes: one int per held key, in key order (the type tags grow with the chord).
        Span<char> tags = stackalloc char[1 + 128];
        int held = 0;
        tags[held++] = ',';
        for (int note = 0; note < 128; note++) if (f.Velocities[note] != 0) tags[held++] = 'i';
        w.BeginMessage("/losses/held", tags[..held]);
        for (int note = 0; note < 128; note++) if (f.Velocities[note] != 0) w.Int(note);
        w.EndMessage();
    }

    /// <summary>Learned parameters the model has: cubic a, b, c, d; knot phases a, b, c; none before a target.</summary>
    public static int Parameters(FrameModel model) => model switch { FrameModel.Cubic => 4, FrameModel.Knot => 3, _ => 0 };

    public static string ModelName(FrameModel model) => model switch { FrameModel.Cubic => "cubic", FrameModel.Knot => "knot", _ => "none" };

    private static void Int(ref OscWriter w, string address, int value)
    {
        w.BeginMessage(address, ",i");
        w.Int(value);
        w.EndMessage();
    }

    private static void Float(ref OscWriter w, string address, float value)
    {
        w.BeginMessage(address, ",f");
        w.Float(value);
        w.EndMessage();
    }

    private static void Vector(ref OscWriter w, string address, Float4 values, int n)
    {
        if (n == 0) return; // no model yet: nothing learned to send
        w.BeginMessage(address, ",ffff".AsSpan(0, 1 + n));
        for (int i = 0; i < n; i++) w.Float(values[i]);
        w.EndMessage();
    }
}
