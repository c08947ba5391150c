using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Losses.Platform;
using Losses.Protocol;

namespace Losses.Engine.Audio;

/// <summary>
/// 32-bit float stereo WAV, written to a temporary name beside the target and renamed into
/// place only when complete, so a failed render never leaves a half-written file.
/// </summary>
public sealed class WavWriter : IDisposable
{
    private const int HeaderBytes = 58; // RIFF(12) + fmt(8+18) + fact(8+4) + data(8)
    /// <summary>A RIFF size field is 32 bits: the most audio one WAV file holds.</summary>
    public const long MaxDataBytes = uint.MaxValue - HeaderBytes + 8;

    /// <summary>Bytes of a WAV of this many stereo frames.</summary>
    public static long FileBytes(long frames) => HeaderBytes + frames * 8;
    private readonly PendingFile _file;
    private readonly FileStream _stream;
    private readonly int _sampleRate;
    private readonly byte[] _buffer;
    private long _frames;

    public WavWriter(string path, int sampleRate, int maxBlock, OutputSet? set = null)
    {
        _file = new PendingFile(path, set: set);
        _stream = _file.Stream;
        _sampleRate = sampleRate;
        _buffer = new byte[maxBlock * 8];
        _stream.Write(new byte[HeaderBytes]);
    }

    public long Frames => _frames;

    /// <summary>Appends one block, interleaving left and right.</summary>
    public void Write(ReadOnlySpan<float> left, ReadOnlySpan<float> right)
    {
        int n = left.Length;
        Span<float> interleaved = MemoryMarshal.Cast<byte, float>(_buffer.AsSpan(0, n * 8));
        for (int i = 0; i < n; i++)
        {
            interleaved[2 * i] = left[i];
            interleaved[2 * i + 1] = right[i];
        }
        if (!BitConverter.IsLittleEndian)
        {
            Span<int> words = MemoryMarshal.Cast<float, int>(interleaved);
            BinaryPrimitives.ReverseEndianness(words, words);
        }
        _stream.Write(_buffer, 0, n * 8);
        _frames += n;
    }

    /// <summary>Keeps only the first <paramref name="frames"/> frames, finishes the header and moves the file into place (in a set: readies it).</summary>
    public void Commit(long frames)
    {
        frames = Math.Min(frames, _frames);
        long dataBytes = frames * 8;
        if (dataBytes + HeaderBytes - 8 > MaxDataBytes) throw new IOException("render too long for a WAV file (4 GiB)");
        _stream.SetLength(HeaderBytes + dataBytes);
        _stream.Position = 0;
        Span<byte> h = stackalloc byte[HeaderBytes];
        Encoding.ASCII.GetBytes("RIFF", h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[4..], (uint)(HeaderBytes - 8 + dataBytes));
        Encoding.ASCII.GetBytes("WAVEfmt ", h[8..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], 18);
        BinaryPrimitives.WriteUInt16LittleEndian(h[20..], 3); // WAVE_FORMAT_IEEE_FLOAT
        BinaryPrimitives.WriteUInt16LittleEndian(h[22..], 2);
        BinaryPrimitives.WriteUInt32LittleEndian(h[24..], (uint)_sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(h[28..], (uint)(_sampleRate * 8));
        BinaryPrimitives.WriteUInt16LittleEndian(h[32..], 8);
        BinaryPrimitives.WriteUInt16LittleEndian(h[34..], 32);
        BinaryPrimitives.WriteUInt16LittleEndian(h[36..], 0);
        Encoding.ASCII.GetBytes("fact", h[38..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[42..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(h[46..], (uint)frames);
        Encoding.ASCII.GetBytes("data", h[50..]);
        BinaryPrimitives.WriteUInt32LittleEndian(h[54..], (uint)dataBytes);
        _stream.Write(h);
        _file.Commit();
    }

    public void Dispose() => _file.Dispose();
}
