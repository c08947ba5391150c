using Losses.Protocol;
using Losses.Protocol.Osc;

namespace Losses.Engine.Osc;

/// <summary>
/// The original system's messages (psc-g/musicode `ldd/`), made from Losses' frames so the
/// original SuperCollider synth and openFrameworks app can be played by Losses:
/// to sclang (57120) `/detune i:note f:d` for each held upper note of the current cubic on each
/// press and then with every sent frame while held, and `/detuneChord f:d i i i` in the knot parts;
/// to the openFrameworks app (12345) `/noteon i i`, `/noteoff i i` and the part pedal as `/ccEvent i i i`.
/// d is the frame's detune, the one the engine gives the overtones: under --preset ldd the original's
/// own (the cubic's signed mean residual × 0.05, the knot's summed residual unscaled, both of the step's
/// batch before its update — tests/Parts/OriginalReferenceTests.cs checks it message by message); under
/// other configs what Losses itself plays.
/// </summary>
public sealed class LddMessages(int bassSplit, int chordSplit, int partPedal)
{
    public const int SuperColliderPort = 57120;
    public const int OpenFrameworksPort = 12345;

    private readonly byte[] _held = new byte[128];

    /// <summary>The messages for sclang: false when this frame has none.</summary>
    public bool WriteSuperCollider(ref OscWriter w, in Frame f, OscTimeTag time, bool continuous)
    {
        bool pressed = f.NoteOnCount > 0;
        if (!continuous && !pressed) return false;
        if (f.Model == FrameModel.Cubic && f.Part is 1 or 4)
        {
            float d = f.Detune;
            bool any = false;
            for (int note = bassSplit; note < 128; note++)
            {
                if (f.Velocities[note] == 0) continue;
                if (!any) { w.BeginBundle(time); any = true; }
                w.BeginMessage("/detune", ",if");
                w.Int(note);
                w.Float(d);
                w.EndMessage();
            }
            if (any) w.EndBundle();
            return any;
        }
        if (f.Model == FrameModel.Knot && f.Part is 2 or 3)
        {
            Span<int> bass = [-1, -1, -1];
            int found = 0;
            for (int note = 0; note < chordSplit && found < 3; note++) if (f.Velocities[note] != 0) bass[found++] = note;
            w.BeginBundle(time);
            w.BeginMessage("/detuneChord", ",fiii");
            w.Float(f.Detune);
            w.Int(bass[0]); w.Int(bass[1]); w.Int(bass[2]);
            w.EndMessage();
            w.EndBundle();
            return true;
        }
        return false;
    }

    /// <summary>The messages for the openFrameworks app: presses, releases (from the held keys) and the part pedal.</summary>
    public bool WriteOpenFrameworks(ref OscWriter w, in Frame f, OscTimeTag time)
    {
        bool any = false;
        void Begin(ref OscWriter w, ref bool any) { if (!any) { w.BeginBundle(time); any = true; } }
        int presses = Math.Clamp(f.NoteOnCount, 0, Frame.MaxNoteOns);
        for (int note = 0; note < 128; note++)
        {
            // Released since the last frame (a key pressed again within the frame is released first).
            bool pressedAgain = false;
            for (int i = 0; i < presses; i++) pressedAgain |= f.NoteOns[i].Note == note;
            if (_held[note] != 0 && (f.Velocities[note] == 0 || pressedAgain))
            {
                Begin(ref w, ref any);
                w.BeginMessage("/noteoff", ",ii");
                w.Int(note);
                w.Int(0);
                w.EndMessage();
            }
            _held[note] = f.Velocities[note];
        }
        if ((f.Flags & FrameFlags.PartChanged) != 0)
        {
            Begin(ref w, ref any);
            foreach (int value in (ReadOnlySpan<int>)[127, 0])
            {
                w.BeginMessage("/ccEvent", ",iii");
                w.Int(partPedal);
                w.Int(value);
                w.Int(0);
                w.EndMessage();
            }
        }
        for (int i = 0; i < presses; i++)
        {
            Begin(ref w, ref any);
            w.BeginMessage("/noteon", ",ii");
            w.Int(f.NoteOns[i].Note);
            w.Int(f.NoteOns[i].Velocity);
            w.EndMessage();
        }
        if (any) w.EndBundle();
        return any;
    }
}
