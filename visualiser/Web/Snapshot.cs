using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using Losses.Protocol;
using Losses.Visualiser.Scenes;

namespace Losses.Web;

/// <summary>
/// One WebSocket message: a frame of the engine with what the visuals remember at it (the lingering
/// cubics, the live bubbles), all little-endian. Each message stands alone, so a page that falls
/// behind may skip any of them and still draws exactly what the native visualiser would.
/// <code>
///   0  u32  version (1)           4  u32  lingering count L     8  u32  bubble count B
///  12  u32  flags (1: a still)   16  f64  generation           24  f64  server time (Unix ms) the frame was read
///  32  f64  frames the server lost (lapped in the ring, gaps on UDP)
///  40  Frame (Frame.Size bytes, as in the ring: offsets in /layout.json)
///  40 + Frame.Size:  L × 11 f32  lingering: target a b c d, θ a b c d, born (s), drift x y (px/s)
///  then             B × 3 f32   bubbles: centre x, y (fractions of the frame), born (s)
/// </code>
/// </summary>
public static class Snapshot
{
    public const int Version = 1;
    public const int HeaderBytes = 40;
    public const int LingeringFloats = 11, BubbleFloats = 3;
    public const int MaxBytes = HeaderBytes + Frame.Size + 4 * (LingeringFloats * VisualState.MaxLingering + BubbleFloats * VisualState.MaxBubbles);

    /// <summary>Writes the message for <paramref name="state"/>'s current frame into <paramref name="buffer"/>; returns its length.</summary>
    public static int Write(Span<byte> buffer, VisualState state, long generation, double serverMs, long lost, bool still)
    {
        int lingering = state.Lingering.Count, bubbles = state.Bubbles.Count;
        BinaryPrimitives.WriteUInt32LittleEndian(buffer, Version);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[4..], (uint)lingering);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[8..], (uint)bubbles);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer[12..], still ? 1u : 0u);
        BinaryPrimitives.WriteDoubleLittleEndian(buffer[16..], generation);
        BinaryPrimitives.WriteDoubleLittleEndian(buffer[24..], serverMs);
        BinaryPrimitives.WriteDoubleLittleEndian(buffer[32..], lost);
        Frame frame = state.Current;
        MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref frame, 1)).CopyTo(buffer[HeaderBytes..]);
        int at = HeaderBytes + Frame.Size;
        foreach (LingeringCubic l in state.Lingering)
        {
            for (int i = 0; i < 4; i++) at = Put(buffer, at, l.Target[i]);
            for (int i = 0; i < 4; i++) at = Put(buffer, at, l.Theta[i]);
            at = Put(buffer, at, (float)l.BornSeconds);
            at = Put(buffer, at, l.Drift.X);
            at = Put(buffer, at, l.Drift.Y);
        }
        foreach (Bubble b in state.Bubbles)
        {
            at = Put(buffer, at, b.Centre.X);
            at = Put(buffer, at, b.Centre.Y);
            at = Put(buffer, at, (float)b.BornSeconds);
        }
        return at;
    }

    private static int Offset<T>(ref Frame frame, ref T field) =>
        (int)Unsafe.ByteOffset(ref Unsafe.As<Frame, byte>(ref frame), ref Unsafe.As<T, byte>(ref field));

    private static int Put(Span<byte> buffer, int at, float value)
    {
        BinaryPrimitives.WriteSingleLittleEndian(buffer[at..], value);
        return at + 4;
    }

    /// <summary>
    /// /layout.json: where each field of <see cref="Frame"/> sits (read off the struct itself, so the
    /// page cannot drift from the wire format) and the constants the page's scene code shares.
    /// </summary>
    public static byte[] LayoutJson()
    {
        Frame f = default;
        var fields = new Dictionary<string, int>
        {
            ["index"] = Offset(ref f, ref f.Index),
            ["sampleTime"] = Offset(ref f, ref f.SampleTime),
            ["sampleRate"] = Offset(ref f, ref f.SampleRate),
            ["part"] = Offset(ref f, ref f.Part),
            ["model"] = Offset(ref f, ref f.Model),
            ["flags"] = Offset(ref f, ref f.Flags),
            ["targetSteps"] = Offset(ref f, ref f.TargetSteps),
            ["totalSteps"] = Offset(ref f, ref f.TotalSteps),
            ["cubicTargets"] = Offset(ref f, ref f.CubicTargets),
            ["knotTargets"] = Offset(ref f, ref f.KnotTargets),
            ["loss"] = Offset(ref f, ref f.Loss),
            ["detune"] = Offset(ref f, ref f.Detune),
            ["target"] = Offset(ref f, ref f.Target),
            ["theta"] = Offset(ref f, ref f.Theta),
            ["gradient"] = Offset(ref f, ref f.Gradient),
            ["knotN"] = Offset(ref f, ref f.KnotN),
            ["pointCount"] = Offset(ref f, ref f.PointCount),
            ["voices"] = Offset(ref f, ref f.Voices),
            ["noteOnCount"] = Offset(ref f, ref f.NoteOnCount),
            ["points"] = Offset(ref f, ref f.Points),
        };
        var layout = new Dictionary<string, object>
        {
            ["version"] = Version,
            ["headerBytes"] = HeaderBytes,
            ["frameSize"] = Frame.Size,
            ["frameLayoutVersion"] = Frame.LayoutVersion,
            ["maxPoints"] = Frame.MaxPoints,
            ["fields"] = fields,
            ["models"] = new Dictionary<string, int> { ["cubic"] = (int)FrameModel.Cubic, ["knot"] = (int)FrameModel.Knot },
            ["lingerSeconds"] = VisualState.LingerSeconds,
            ["bubbleSeconds"] = VisualState.BubbleSeconds,
        };
        return JsonSerializer.SerializeToUtf8Bytes(layout);
    }
}
