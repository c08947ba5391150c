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
        return true;
    }
}
