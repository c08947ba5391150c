using System.Buffers.Binary;

namespace Losses.Tests.Asio;

/// <summary>
/// What the test driver wrote down: per buffer switch a record of int32 frames, int32 channels,
/// int32 ASIO sample type, then each output channel's buffer as the engine filled it.
/// </summary>
public sealed class AsioCapture
{
    public const int Int16Lsb = 16, Int24Lsb = 17, Int32Lsb = 18, Float32Lsb = 19;

    public required double[] Left { get; init; }
    public required double[] Right { get; init; }
    /// <summary>The buffer size of each switch, in order.</summary>
    public required int[] Buffers { get; init; }
    public required int Type { get; init; }
    public int Frames => Left.Length;

    /// <summary>Full scale of an integer type (the engine writes round(x · scale)); 0 for float.</summary>
    public static double Scale(int type) => type switch
    {
        Int32Lsb => 2147483647.0,
        Int24Lsb => 8388607.0,
        Int16Lsb => 32767.0,
        _ => 0,
    };

    public static string TypeName(int type) => type switch
    {
        Int32Lsb => "int32",
        Int24Lsb => "int24",
        Int16Lsb => "int16",
        _ => "float32",
    };

    public static AsioCapture Read(string path)
    {
        byte[] bytes = File.Exists(path) ? File.ReadAllBytes(path) : [];
        var left = new List<double>();
        var right = new List<double>();
        var buffers = new List<int>();
        int type = 0;
        int pos = 0;
        while (pos + 12 <= bytes.Length)
        {
            int frames = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos));
            int channels = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos + 4));
            type = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos + 8));
            int size = type switch { Int16Lsb => 2, Int24Lsb => 3, _ => 4 };
            pos += 12;
            if (channels != 2) throw new InvalidDataException($"capture record with {channels} channels (the engine creates 2)");
            if (pos + 2 * frames * size > bytes.Length) throw new InvalidDataException("capture ends inside a buffer");
            for (int c = 0; c < 2; c++)
            {
                List<double> into = c == 0 ? left : right;
                for (int i = 0; i < frames; i++, pos += size)
                {
                    ReadOnlySpan<byte> s = bytes.AsSpan(pos, size);
                    into.Add(type switch
                    {
                        Float32Lsb => BinaryPrimitives.ReadSingleLittleEndian(s),
                        Int32Lsb => BinaryPrimitives.ReadInt32LittleEndian(s) / Scale(type),
                        Int16Lsb => BinaryPrimitives.ReadInt16LittleEndian(s) / Scale(type),
                        Int24Lsb => ((s[0] | s[1] << 8 | s[2] << 16) << 8 >> 8) / Scale(type),
                        _ => throw new InvalidDataException($"capture of sample type {type}"),
                    });
                }
            }
            buffers.Add(frames);
        }
        if (pos != bytes.Length) throw new InvalidDataException("capture ends inside a record header");
        return new AsioCapture { Left = [.. left], Right = [.. right], Buffers = [.. buffers], Type = type };
    }
}
