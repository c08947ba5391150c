using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses.Protocol;

public enum FrameModel : int { None = 0, Cubic = 1, Knot = 2 }

[Flags]
public enum FrameFlags : int
{
    None = 0,
    /// <summary>A gradient step happened since the previous frame.</summary>
    Stepped = 1,
    /// <summary>A new target (cubic or knot) was drawn since the previous frame.</summary>
    NewTarget = 2,
    /// <summary>The part changed since the previous frame.</summary>
    PartChanged = 4,
    /// <summary>A diverging model was given a fresh θ since the previous frame.</summary>
    Reset = 8,
}

[InlineArray(4)]
public struct Float4 { private float _element; }

[InlineArray(3)]
public struct Int3 { private int _element; }

[InlineArray(Frame.MaxNoteOns)]
public struct NoteOnArray { private NoteOnEvent _element; }

[InlineArray(128)]
public struct NoteVelocities { private byte _element; }

[InlineArray(Frame.MaxPoints)]
public struct PointArray { private float _element; }

/// <summary>A key press as the visualiser needs it (bubbles spawn from these).</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public struct NoteOnEvent
{
    /// <summary>Engine sample clock of the press.</summary>
    public long SampleTime;
    public int Note;
    public int Velocity;
}

/// <summary>
/// What the engine's training is doing at one instant: everything the visualiser needs to draw
/// exactly what the engine trains. Blittable and fixed-size; a change of layout bumps
/// <see cref="LayoutVersion"/> (a test pins the size and every offset).
/// <code>
///   0 Index            8 SampleTime      16 SampleRate   20 Part      24 Model   28 Flags
///  32 TargetSteps     40 TotalSteps      48 CubicTargets 52 KnotTargets
///  56 Loss            60 Detune          64 Target[4]    80 Theta[4]  96 Gradient[4]
/// 112 KnotN[3]       124 PointCount     128 Voices      132 PeakLeft 136 PeakRight
/// 140 NoteOnCount    144 NoteOns[16] (16 B each)       400 Velocities[128]
/// 528 Points[128]   1040 Checksum      1044 Reserved    (1048 bytes)
/// </code>
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public struct Frame
{
    public const int LayoutVersion = 1;
    public const int Size = 1048;
    public const int MaxNoteOns = 16;
    public const int MaxPoints = 128;

    /// <summary>Frame number since the engine started: 0, 1, 2, … (readers check it).</summary>
    public long Index;
    /// <summary>Engine sample clock when the frame was made.</summary>
    public long SampleTime;
    public int SampleRate;
    /// <summary>1..4.</summary>
    public int Part;
    public FrameModel Model;
    public FrameFlags Flags;
    /// <summary>Gradient steps of the current target.</summary>
    public long TargetSteps;
    /// <summary>Gradient steps since the engine started.</summary>
    public long TotalSteps;
    public int CubicTargets;
    public int KnotTargets;
    /// <summary>Loss of the latest step of the current model (0 before any).</summary>
    public float Loss;
    /// <summary>The detune the overtones get now (k·f₀·(1 + Detune)); negative (flat) with the signed-residual mapping.</summary>
    public float Detune;
    /// <summary>Cubic a, b, c, d or knot phases a, b, c (4th unused).</summary>
    public Float4 Target;
    public Float4 Theta;
    /// <summary>∂L/∂θ of the latest step.</summary>
    public Float4 Gradient;
    /// <summary>Knot integers nₓ, n_y, n_z.</summary>
    public Int3 KnotN;
    /// <summary>How many cubic sample points <see cref="Points"/> holds.</summary>
    public int PointCount;
    public int Voices;
    /// <summary>Output peak since the previous frame, per channel.</summary>
    public float PeakLeft;
    public float PeakRight;
    public int NoteOnCount;
    /// <summary>Every key press since the previous frame, in order.</summary>
    public NoteOnArray NoteOns;
    /// <summary>Velocity of each held note (0 = not held), by MIDI note number.</summary>
    public NoteVelocities Velocities;
    /// <summary>The cubic's sample points x (the targets are f(x) at these x).</summary>
    public PointArray Points;
    /// <summary>Free for the frame's producer (the stress test stores a checksum here); 0 from the engine.</summary>
    public uint Checksum;
    public uint Reserved;

    /// <summary>A 32-bit hash of every byte before <see cref="Checksum"/> (tests and tools; not on the audio path).</summary>
    public static uint ComputeChecksum(in Frame frame)
    {
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<Frame, ulong>(new ReadOnlySpan<Frame>(in frame))[..(1040 / 8)];
        ulong h = 0xcbf29ce484222325UL;
        foreach (ulong w in words) h = (h ^ w) * 0x100000001b3UL;
        return (uint)(h ^ (h >> 32));
    }
}
