using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses.Protocol;

/// <summary>Anything that takes the engine's frames: the ring, a frame log, or both.</summary>
public interface IFrameSink
{
    /// <summary>Called on the audio thread: must not allocate, lock, block or throw.</summary>
    void Publish(in Frame frame);
}

/// <summary>A memory mapping and the raw pointer to its first byte.</summary>
internal sealed unsafe class Mapping : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private bool _disposed;

    public Mapping(MemoryMappedFile file, long length, bool writable)
    {
        _file = file;
        // Length 0 maps the whole object (a Windows named map, whose size the header tells).
        _view = file.CreateViewAccessor(0, length, writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        Base = p + _view.PointerOffset;
        Length = length > 0 ? length : _view.Capacity;
    }

    public byte* Base { get; }
    public long Length { get; }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}

/// <summary>
/// The engine's end of the ring: publishes frames into shared memory without ever waiting for,
/// or reading anything written by, a reader. <see cref="Publish"/> is wait-free and allocation-free.
/// </summary>
public sealed unsafe class FrameRingWriter : IFrameSink, IDisposable
{
    private readonly Mapping _map;
    private readonly byte* _slots;
    private readonly int _slotSize;
    private readonly long _mask;
    private readonly string _path;
    private long _position;
    private long _lastHeartbeat;

    private FrameRingWriter(Mapping map, string path, int capacity)
    {
        _map = map;
        _path = path;
        _slots = map.Base + RingLayout.SlotsOffset;
        _slotSize = RingLayout.SlotSize(Frame.Size);
        _mask = capacity - 1;
        Capacity = capacity;
    }

    public string Name { get; private init; } = "";
    public int Capacity { get; }
    public long Generation { get; private init; }
    /// <summary>Frames published so far (the next frame's position).</summary>
    public long Position => _position;

    /// <summary>
    /// Creates the ring (or takes over the one a previous engine left, with a new generation, so
    /// attached readers resynchronise without restarting). Not real-time: call before the audio starts.
    /// </summary>
    public static FrameRingWriter Create(string name, int capacity = RingLayout.DefaultCapacity)
    {
        if (!RingLayout.IsValidName(name))
            throw new RingException($"ring name '{name}' is not valid: use letters, digits, '-', '_' or '.' (at most 64)");
        if (capacity < RingLayout.MinCapacity || capacity > RingLayout.MaxCapacity || (capacity & (capacity - 1)) != 0)
            throw new RingException($"ring capacity {capacity} must be a power of two in {RingLayout.MinCapacity}..{RingLayout.MaxCapacity}");

        string path = RingLayout.PathFor(name);
        long size = RingLayout.FileSize(capacity, Frame.Size);
        Mapping map = OperatingSystem.IsWindows() ? CreateWindows(path, size) : CreateUnix(path, size);
        byte* b = map.Base;

        // A new generation: readers still attached to this mapping see it change and start over.
        long previous = *(ulong*)(b + RingLayout.MagicOffset) == RingLayout.Magic ? Volatile.Read(ref *(long*)(b + RingLayout.GenerationOffset)) : 0;
        long generation = Math.Max(previous + 1, Stopwatch.GetTimestamp() & 0x7FFF_FFFF_FFFF);

        // Taking over: first mark the ring as being re-made (magic cleared), so no reader trusts
        // the fields or slots while they change.
        Volatile.Write(ref *(ulong*)(b + RingLayout.MagicOffset), 0UL);
        Interlocked.MemoryBarrier(); // the cleared magic is visible before any field changes
        *(int*)(b + RingLayout.LayoutVersionOffset) = RingLayout.Version;
        *(int*)(b + RingLayout.FrameSizeOffset) = Frame.Size;
        *(int*)(b + RingLayout.CapacityOffset) = capacity;
        *(int*)(b + RingLayout.SlotSizeOffset) = RingLayout.SlotSize(Frame.Size);
        *(int*)(b + RingLayout.StateOffset) = RingLayout.StateLive;
        *(long*)(b + RingLayout.GenerationOffset) = generation;
        *(long*)(b + RingLayout.WriterPidOffset) = Environment.ProcessId;
        *(long*)(b + RingLayout.StartedUnixMsOffset) = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        *(long*)(b + RingLayout.WritePositionOffset) = 0;
        *(long*)(b + RingLayout.HeartbeatOffset) = Environment.TickCount64;
        int slotSize = RingLayout.SlotSize(Frame.Size);
        for (long i = 0; i < capacity; i++) *(long*)(b + RingLayout.SlotsOffset + i * slotSize) = 0;
        // Release: every field above is visible before a reader can see the magic.
        Volatile.Write(ref *(ulong*)(b + RingLayout.MagicOffset), RingLayout.Magic);

        return new FrameRingWriter(map, path, capacity) { Name = name, Generation = generation };
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static Mapping CreateUnix(string path, long size)
    {
        try
        {
            FileStream stream = OpenRingFile(path);
            if (stream.Length != size && stream.Length != 0)
            {
                // A ring of another size (or a stale file): readers mapped to it are told it is
                // closed, so they reopen the path and find the new ring.
                if (stream.Length >= RingLayout.SlotsOffset) MarkClosed(stream);
                stream.Dispose();
                File.Delete(path);
                stream = OpenRingFile(path);
            }
            if (stream.Length == 0) stream.SetLength(size);
            var file = MemoryMappedFile.CreateFromFile(stream, null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            return new Mapping(file, size, writable: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RingException($"cannot create the ring at {path}: {e.Message}");
        }
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static FileStream OpenRingFile(string path) => new(path, new FileStreamOptions
    {
        Mode = FileMode.OpenOrCreate,
        Access = FileAccess.ReadWrite,
        Share = FileShare.ReadWrite | FileShare.Delete,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite, // 0600: frames are the performer's alone
    });

    private static void MarkClosed(FileStream stream)
    {
        Span<byte> state = stackalloc byte[4];
        BitConverter.TryWriteBytes(state, RingLayout.StateClosed);
        stream.Position = RingLayout.StateOffset;
        stream.Write(state);
        stream.Flush();
    }

    [System.Runtime.Versioning.SupportedOSPlatform("windows")]
    private static Mapping CreateWindows(string path, long size)
    {
        var file = MemoryMappedFile.CreateOrOpen(path, size, MemoryMappedFileAccess.ReadWrite);
        return new Mapping(file, size, writable: true);
    }

    /// <summary>Publishes one frame as position <see cref="Position"/>; its Index is set to that position.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(in Frame frame)
    {
        long p = _position;
        byte* slot = _slots + (p & _mask) * _slotSize;
        ref long sequence = ref *(long*)(slot + RingLayout.SlotSequenceOffset);

        // Odd: frame p is being written. The full fence keeps the frame's stores below from being
        // made visible before this mark (a release store alone would let them move ahead of it).
        Volatile.Write(ref sequence, 2 * p + 1);
        Interlocked.MemoryBarrier();
        MemoryMarshal.AsBytes(new ReadOnlySpan<Frame>(in frame)).CopyTo(new Span<byte>(slot + RingLayout.SlotFrameOffset, Frame.Size));
        *(long*)(slot + RingLayout.SlotFrameOffset) = p; // Frame.Index is the position
        // Release: the whole frame is visible before the sequence says it is complete.
        Volatile.Write(ref sequence, 2 * p + 2);
        _position = p + 1;
        // Release: a reader that sees the new write position also sees the completed slot.
        Volatile.Write(ref *(long*)(_map.Base + RingLayout.WritePositionOffset), p + 1);
        if ((p & 255) == 0) Heartbeat();
    }

    /// <summary>Tells readers the engine is alive (call from a non-audio thread, or per block: it is one store).</summary>
    public void Heartbeat()
    {
        long now = Environment.TickCount64;
        if (now == _lastHeartbeat) return;
        _lastHeartbeat = now;
        Volatile.Write(ref *(long*)(_map.Base + RingLayout.HeartbeatOffset), now);
    }

    /// <summary>Marks the ring closed (readers say the engine stopped) and unmaps it. The file stays for the next engine.</summary>
    public void Dispose()
    {
        Volatile.Write(ref *(int*)(_map.Base + RingLayout.StateOffset), RingLayout.StateClosed);
        _map.Dispose();
    }

    /// <summary>Removes the ring's file (Linux) — for tests and tools; readers still mapped keep their copy.</summary>
    public static void Delete(string name)
    {
        if (OperatingSystem.IsWindows()) return;
        string path = RingLayout.PathFor(name);
        if (File.Exists(path)) File.Delete(path);
    }

    internal string Path => _path;
}

/// <summary>Hands every frame to two sinks (a ring and a frame log).</summary>
public sealed class FrameTee(IFrameSink first, IFrameSink second) : IFrameSink
{
    public void Publish(in Frame frame)
    {
        first.Publish(in frame);
        second.Publish(in frame);
    }
}
