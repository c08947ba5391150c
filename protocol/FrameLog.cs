using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Losses.Platform;

namespace Losses.Protocol;

/// <summary>
/// A frame log: the engine's frames appended to a file, for offline rendering of the visuals and
/// for inspection. Layout: a 64-byte header — magic "LOSSLOG1", layout version, frame size,
/// sample rate, then zeros — followed by whole frames. Written under a temporary name and moved
/// into place when complete, so a failed render leaves nothing half-written.
/// </summary>
public sealed class FrameLogWriter : IFrameSink, IDisposable
{
    public const int HeaderSize = 64;
    public const ulong Magic = 0x31474F4C53534F4CUL; // "LOSSLOG1" as little-endian bytes

    private readonly PendingFile? _file;
    private readonly Stream _stream;

    /// <summary>A frame log written under a temporary name and moved into place by <see cref="Commit"/> (with the other outputs of <paramref name="set"/>, if given).</summary>
    public FrameLogWriter(string path, int sampleRate, OutputSet? set = null) : this(new PendingFile(path, set: set), null, sampleRate) { }

    private FrameLogWriter(PendingFile? file, JournalFile? journal, int sampleRate)
    {
        _file = file;
        _stream = file is not null ? file.Stream : journal!;
        Span<byte> header = stackalloc byte[HeaderSize];
        header.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], Frame.LayoutVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header[12..], Frame.Size);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], sampleRate);
        _stream.Write(header);
    }

    public long Count { get; private set; }

    /// <summary>Appends a frame (buffered file I/O: for offline renders and for a non-audio thread live).</summary>
    public void Publish(in Frame frame)
    {
        _stream.Write(MemoryMarshal.AsBytes(new ReadOnlySpan<Frame>(in frame)));
        Count++;
    }

    /// <summary>
    /// A frame log written in place as a journal (a live recording): every <see cref="Flush"/>
    /// hands the whole frames so far to the OS, so a killed engine leaves a log readable up to its
    /// last whole frame (<see cref="FrameLogReader.TruncateToWholeFrames"/>).
    /// </summary>
    public static FrameLogWriter Journal(string path, int sampleRate) =>
        new(null, new JournalFile(path), sampleRate);

    /// <summary>Journal: to the OS (survives the process), or also to the disk (survives the machine).</summary>
    public void Flush(bool toDisk)
    {
        if (_stream is not JournalFile journal) throw new InvalidOperationException("only a journal is flushed while written");
        if (toDisk) journal.FlushToDisk();
        else journal.Flush();
    }

    /// <summary>A pending log is moved into place; a journal is flushed to disk and closed.</summary>
    public void Commit()
    {
        if (_file is not null) _file.Commit();
        else
        {
            ((JournalFile)_stream).FlushToDisk();
            _stream.Dispose();
        }
    }

    public void Dispose()
    {
        if (_file is not null) _file.Dispose();
        else _stream.Dispose();
    }
}

/// <summary>Reads a frame log; a file that is not one, or is cut short, gives one clear line.</summary>
public sealed class FrameLogReader : IDisposable
{
    private readonly FileStream _stream;

    private FrameLogReader(FileStream stream, int sampleRate, long count)
    {
        _stream = stream;
        SampleRate = sampleRate;
        Count = count;
    }

    public int SampleRate { get; }
    public long Count { get; }

    /// <summary>The largest frame log read (a day of frames at 60 a second is 5.4 GB): beyond it a file is no frame log.</summary>
    public const long MaxBytes = 64L << 30;

    public static FrameLogReader Open(string path)
    {
        FileStream stream;
        try
        {
            // Checked before a byte is read: a named pipe or a device at the path is one line, never a hang.
            stream = InputFile.Open(path, "the frame log", MaxBytes)!;
        }
        catch (FileNotFoundException)
        {
            throw new FrameLogException($"{path}: file not found — check the path");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FrameLogException(e.Message.StartsWith(path, StringComparison.Ordinal) ? e.Message : $"{path}: cannot read ({e.Message})");
        }
        return Open(path, stream);
    }

    /// <summary>A frame log from a stream the caller opened (and checked); the reader owns it from here.</summary>
    public static FrameLogReader Open(string path, FileStream stream)
    {
        try
        {
            stream.Position = 0;
            Span<byte> header = stackalloc byte[FrameLogWriter.HeaderSize];
            if (stream.Length < FrameLogWriter.HeaderSize || stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
                throw new FrameLogException($"{path}: not a Losses frame log (too short) — write one with: losses render IN.mid -o OUT.wav --frames OUT.frames");
            if (BinaryPrimitives.ReadUInt64LittleEndian(header) != FrameLogWriter.Magic)
                throw new FrameLogException($"{path}: not a Losses frame log (wrong magic) — write one with: losses render IN.mid -o OUT.wav --frames OUT.frames");
            int version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            int frameSize = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
            int sampleRate = BinaryPrimitives.ReadInt32LittleEndian(header[16..]);
            if (version != Frame.LayoutVersion || frameSize != Frame.Size)
                throw new FrameLogException($"{path}: frame layout {version} ({frameSize} bytes), this build reads layout {Frame.LayoutVersion} ({Frame.Size} bytes) — render it again with this build");
            if (sampleRate is < Limits.MinSampleRate or > Limits.MaxSampleRate)
                throw new FrameLogException($"{path}: corrupt header (sample rate {sampleRate} Hz, the engine renders {Limits.MinSampleRate}..{Limits.MaxSampleRate}) — render it again");
            long body = stream.Length - FrameLogWriter.HeaderSize;
            if (body % Frame.Size != 0)
                throw new FrameLogException($"{path}: truncated — {body % Frame.Size} bytes of a partial frame at the end (render it again)");
            return new FrameLogReader(stream, sampleRate, body / Frame.Size);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A journal cut short (the engine was killed mid-write): drops the partial frame at its end so
    /// the log reads up to its last whole frame. Returns the number of bytes dropped.
    /// </summary>
    public static long TruncateToWholeFrames(FileStream stream)
    {
        if (stream.Length < FrameLogWriter.HeaderSize) return 0; // not a log: Open says so
        long partial = (stream.Length - FrameLogWriter.HeaderSize) % Frame.Size;
        if (partial != 0) stream.SetLength(stream.Length - partial);
        return partial;
    }

    /// <summary>Reads frame <paramref name="index"/> (0-based).</summary>
    public Frame Read(long index)
    {
        if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(index));
        Frame frame = default;
        _stream.Position = FrameLogWriter.HeaderSize + index * Frame.Size;
        _stream.ReadExactly(MemoryMarshal.AsBytes(new Span<Frame>(ref frame)));
        return frame;
    }

    /// <summary>
    /// Frame times a renderer can plan from: none negative, none earlier than the frame before,
    /// the last within <paramref name="maxSeconds"/>. One line naming the first that is not.
    /// </summary>
    public void CheckTimes(string path, double maxSeconds)
    {
        long previous = 0;
        for (long i = 0; i < Count; i++)
        {
            long t = Read(i).SampleTime;
            if (t < 0) throw new FrameLogException($"{path}: frame {i} is at a negative time ({t} samples) — the log is corrupt (render it again)");
            if (t < previous) throw new FrameLogException($"{path}: frame {i} ({t} samples) is earlier than the frame before ({previous}) — the log is corrupt (render it again)");
            previous = t;
        }
        double seconds = (double)previous / SampleRate;
        if (seconds > maxSeconds)
            throw new FrameLogException($"{path}: its last frame is at {Limits.Duration(seconds)}, beyond the limit of {Limits.Duration(maxSeconds)} — {Limits.RaiseHint(seconds)}");
    }

    public IEnumerable<Frame> ReadAll()
    {
        for (long i = 0; i < Count; i++) yield return Read(i);
    }

    public void Dispose() => _stream.Dispose();
}

public sealed class FrameLogException(string message) : Exception(message);
