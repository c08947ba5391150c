using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Losses.Protocol.Osc;

/// <summary>
/// A whole <see cref="Frame"/> as the blob of <c>/losses/frame b</c>: its layout version
/// (int32, little-endian) then the frame's bytes exactly as in the ring (little-endian, <see cref="Frame.Size"/>).
/// A receiver of another layout version refuses the blob rather than misreading it.
/// </summary>
public static class FrameBlob
{
    public const string Address = "/losses/frame";
    public const int Size = 4 + Frame.Size;

    public static void Write(ref OscWriter writer, in Frame frame)
    {
        Span<byte> blob = stackalloc byte[Size];
        BinaryPrimitives.WriteInt32LittleEndian(blob, Frame.LayoutVersion);
        MemoryMarshal.AsBytes(new ReadOnlySpan<Frame>(in frame)).CopyTo(blob[4..]);
        writer.BeginMessage(Address, ",b");
        writer.Blob(blob);
        writer.EndMessage();
    }

    /// <summary>The frame in a blob, or a one-line reason why the blob is not one.</summary>
    public static bool TryRead(ReadOnlySpan<byte> blob, out Frame frame, out string? problem)
    {
        frame = default;
        problem = null;
        if (blob.Length != Size)
        {
            problem = $"a frame blob of {blob.Length} bytes (layout {Frame.LayoutVersion} has {Size})";
            return false;
        }
        int version = BinaryPrimitives.ReadInt32LittleEndian(blob);
        if (version != Frame.LayoutVersion)
        {
            problem = $"frame layout version {version}, this program reads {Frame.LayoutVersion} (update the sender or this end)";
            return false;
        }
        frame = MemoryMarshal.Read<Frame>(blob[4..]);
        // The network is untrusted: counts that index the frame's arrays must be in range.
        if (frame.NoteOnCount is < 0 or > Frame.MaxNoteOns || frame.PointCount is < 0 or > Frame.MaxPoints
            || frame.Part is < 1 or > 4 || frame.Index < 0 || frame.SampleTime < 0 || frame.SampleRate is < 1000 or > 1_000_000)
        {
            problem = $"frame {frame.Index} does not add up (part {frame.Part}, {frame.NoteOnCount} presses, {frame.PointCount} points, {frame.SampleRate} Hz)";
            frame = default;
            return false;
        }
        return true;
    }

    /// <summary>
    /// The frame of a packet that holds a /losses/frame message (alone or in a bundle); the first if several.
    /// False with no problem for a well-formed packet of other messages.
    /// </summary>
    public static bool TryReadPacket(ReadOnlySpan<byte> packet, out Frame frame, out string? problem)
    {
        var finder = new Finder();
        OscError error = OscPacket.Read(packet, ref finder);
        frame = finder.Frame;
        problem = error != OscError.None ? $"malformed OSC packet ({error})" : finder.Problem;
        return error == OscError.None && finder.Found;
    }

    private struct Finder : IOscHandler
    {
        public Frame Frame;
        public bool Found;
        public string? Problem;

        public void OnMessage(in OscMessage message)
        {
            if (Found || !message.Is("/losses/frame"u8)) return;
            OscArguments args = message.Arguments;
            if (!args.TryBlob(out ReadOnlySpan<byte> blob)) { Problem = "/losses/frame without a blob"; return; }
            Found = TryRead(blob, out Frame, out Problem);
        }
    }
}
