using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Losses.Platform;

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

    /// <param name="handle">The open ring file (Unix), kept to fstat it while mapped; disposed with the mapping.</param>
    public Mapping(MemoryMappedFile file, long length, bool writable, SafeFileHandle? handle = null)
    {
        _file = file;
        Handle = handle;
        // Length 0 maps the whole object (a Windows named map, whose size the header tells).
        _view = file.CreateViewAccessor(0, length, writable ? MemoryMappedFileAccess.ReadWrite : MemoryMappedFileAccess.Read);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        Base = p + _view.PointerOffset;
        Length = length > 0 ? length : _view.Capacity;
    }

    public byte* Base { get; }
    public long Length { get; }
    public SafeFileHandle? Handle { get; }

    /// <summary>
    /// The file still covers the whole mapping. A file truncated under a mapping turns every access
    /// past its new end into SIGBUS: this is checked (one fstat) before the mapping is trusted.
    /// </summary>
    public bool StillWhole(out long size)
    {
        size = Length;
        if (Handle is null || OperatingSystem.IsWindows()) return true;
        if (!Posix.TryStat(Handle, out FileStatus s)) return false;
        size = s.Size;
        return s.Size >= Length;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        Handle?.Dispose();
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
    private readonly CancellationTokenSource _broken = new();
    private Thread? _watchdog;
    private volatile bool _closing;
    private volatile string? _fault;
    private SafeFileHandle? _lock; // the writer's flock, held for its life (Unix)

    private FrameRingWriter(Mapping map, string path, int capacity)
    {
        _map = map;
        _path = path;
        _slots = map.Base + RingLayout.SlotsOffset;
        _slotSize = RingLayout.SlotSize(Frame.Size);
        _mask = capacity - 1;
        Capacity = capacity;
    }

    /// <summary>Why the ring can no longer be written (it was truncated under the engine); null while it is sound.</summary>
    public string? Fault => _fault;

    /// <summary>Cancelled when <see cref="Fault"/> is set: the engine stops cleanly and says why.</summary>
    public CancellationToken Broken => _broken.Token;

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
        if (RingLayout.NameProblem(name) is string problem) throw new RingException(problem);
        if (capacity < RingLayout.MinCapacity || capacity > RingLayout.MaxCapacity || (capacity & (capacity - 1)) != 0)
            throw new RingException($"ring capacity {capacity} must be a power of two in {RingLayout.MinCapacity}..{RingLayout.MaxCapacity}");

        string path = RingLayout.PathFor(name);
        long size = RingLayout.FileSize(capacity, Frame.Size);
        SafeFileHandle? lockFile = null;
        Mapping map = OperatingSystem.IsWindows() ? CreateWindows(path, size) : CreateUnix(name, path, size, out lockFile);
        byte* b = map.Base;

        // A new generation: readers still attached to this mapping see it change and start over.
        long previous = *(ulong*)(b + RingLayout.MagicOffset) == RingLayout.Magic ? Volatile.Read(ref *(long*)(b + RingLayout.GenerationOffset)) : 0;
        long generation = Math.Max(previous + 1, Stopwatch.GetTimestamp() & 0x7FFF_FFFF_FFFF);

        Stamp(b, capacity, generation, RingLayout.StateLive, clearSlots: true);
        var writer = new FrameRingWriter(map, path, capacity) { Name = name, Generation = generation, _lock = lockFile };
        if (!OperatingSystem.IsWindows())
        {
            RingFile.Protect(map.Handle!);
            writer.StartWatchdog();
        }
        return writer;
    }

    /// <summary>Writes the header (and clears the slots' sequences): the magic last, so no reader trusts a half-made header.</summary>
    private static void Stamp(byte* b, int capacity, long generation, int state, bool clearSlots)
    {
        // First mark the ring as being re-made (magic cleared), so no reader trusts the fields or
        // slots while they change.
        Volatile.Write(ref *(ulong*)(b + RingLayout.MagicOffset), 0UL);
        Interlocked.MemoryBarrier(); // the cleared magic is visible before any field changes
        *(int*)(b + RingLayout.LayoutVersionOffset) = RingLayout.Version;
        *(int*)(b + RingLayout.FrameSizeOffset) = Frame.Size;
        *(int*)(b + RingLayout.CapacityOffset) = capacity;
        *(int*)(b + RingLayout.SlotSizeOffset) = RingLayout.SlotSize(Frame.Size);
        *(int*)(b + RingLayout.StateOffset) = state;
        *(long*)(b + RingLayout.GenerationOffset) = generation;
        *(long*)(b + RingLayout.WriterPidOffset) = Environment.ProcessId;
        *(long*)(b + RingLayout.StartedUnixMsOffset) = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (clearSlots)
        {
            *(long*)(b + RingLayout.WritePositionOffset) = 0;
            int slotSize = RingLayout.SlotSize(Frame.Size);
            for (long i = 0; i < capacity; i++) *(long*)(b + RingLayout.SlotsOffset + i * slotSize) = 0;
        }
        *(long*)(b + RingLayout.HeartbeatOffset) = Environment.TickCount64;
        // Release: every field above is visible before a reader can see the magic.
        Volatile.Write(ref *(ulong*)(b + RingLayout.MagicOffset), RingLayout.Magic);
    }

    /// <summary>
    /// A thread of its own (never the audio thread, which must not do I/O), the second line behind
    /// the file's protection (<see cref="RingFile.Protect"/>): it fstats the ring file whenever
    /// inotify says it changed, and 10 times a second besides. A file truncated under the mapping is
    /// grown back at once and the engine told to stop — if it wins the race: a publish landing before
    /// it runs dies of SIGBUS, which no managed code can catch. It also beats the heartbeat while
    /// frames flow, so readers can tell a killed or hung engine from a live one.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private void StartWatchdog()
    {
        SafeFileHandle? changes = Posix.WatchForChanges(_map.Handle!);
        _watchdog = new Thread(() =>
        {
            long lastPosition = -1, nextBeat = 0;
            using (changes)
            {
                while (!_closing)
                {
                    // inotify wakes it the moment the file changes; otherwise it wakes for the heartbeat only.
                    if (changes is null) Thread.Sleep(5);
                    else Posix.WaitForChange(changes, 100);
                    if (!_map.StillWhole(out long size))
                    {
                        Restore(size);
                        return;
                    }
                    long now = Environment.TickCount64;
                    if (now < nextBeat) continue;
                    nextBeat = now + 100;
                    long position = Volatile.Read(ref _position);
                    if (position != lastPosition)
                    {
                        lastPosition = position;
                        Heartbeat();
                    }
                }
            }
        }) { Name = "losses ring watchdog", IsBackground = true };
        _watchdog.Start();
    }

    /// <summary>Truncated under us: grow the file back (the mapping is whole again), mark it closed and stop the engine.</summary>
    private void Restore(long size)
    {
        if (_map.Handle is { } handle && !OperatingSystem.IsWindows()) Posix.FTruncate(handle, _map.Length);
        Stamp(_map.Base, Capacity, Generation, RingLayout.StateClosed, clearSlots: false);
        _fault = $"ring '{Name}' was truncated to {size} bytes by another process while the engine wrote it: stopped (start the engine again; nothing else may write {_path})";
        _broken.Cancel();
    }

    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static Mapping CreateUnix(string name, string path, long size, out SafeFileHandle lockFile)
    {
        for (int attempt = 0; ; attempt++)
        {
            // O_NOFOLLOW, owner and mode checked on the opened file itself; then the writer's lock
            // (held by this read-only descriptor for the writer's life); then, unprotected, a
            // writable descriptor of the same inode.
            SafeFileHandle locked = RingFile.Open(path, writable: false, create: true, exclusive: attempt > 0)!;
            SafeFileHandle? file = null;
            try
            {
                RingFile.LockForWriter(name, path, locked);
                RingFile.Unprotect(path, locked);
                file = RingFile.Reopen(path, locked);
                if (!Posix.TryStat(file, out FileStatus status)) throw new RingException($"cannot stat the ring at {path}");
                if (status.Size != size && status.Size != 0)
                {
                    if (attempt > 0) throw new RingException($"{path} changed size while the engine made it: another process is using it — remove it and start again");
                    // A ring of another size (or a stale file): readers mapped to it are told it is
                    // closed, so they reopen the path and find the new ring.
                    if (status.Size >= RingLayout.SlotsOffset) MarkClosed(file);
                    File.Delete(path);
                    file.Dispose();
                    locked.Dispose();
                    continue;
                }
                if (status.Size == 0 && Posix.FTruncate(file, size) != 0) throw new RingException($"cannot size the ring at {path} ({size} bytes): is /dev/shm full?");
                var map = MemoryMappedFile.CreateFromFile(file, null, size, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
                lockFile = locked;
                return new Mapping(map, size, writable: true, file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                file?.Dispose();
                locked.Dispose();
                throw new RingException($"cannot create the ring at {path}: {e.Message}");
            }
            catch
            {
                file?.Dispose();
                locked.Dispose();
                throw;
            }
        }
    }

    private static void MarkClosed(SafeFileHandle file)
    {
        Span<byte> state = stackalloc byte[4];
        BitConverter.TryWriteBytes(state, RingLayout.StateClosed);
        RandomAccess.Write(file, state, RingLayout.StateOffset);
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

        // Odd: frame p is being written. The frame's stores below must not become visible before
        // this mark (a release store alone would let them move ahead of it): a store-store fence. x86
        // keeps stores in program order (TSO) and the JIT does not move stores across a volatile one,
        // so there it costs nothing; elsewhere (Arm64) a full fence. The reader's side is unchanged.
        Volatile.Write(ref sequence, 2 * p + 1);
        if (!System.Runtime.Intrinsics.X86.X86Base.IsSupported) Interlocked.MemoryBarrier();
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
        _closing = true;
        _watchdog?.Join();
        Volatile.Write(ref *(int*)(_map.Base + RingLayout.StateOffset), RingLayout.StateClosed);
        if (_lock is not null && !OperatingSystem.IsWindows()) RingFile.Unprotect(_path, _lock);
        _map.Dispose();
        _lock?.Dispose(); // the writer's lock goes last: the next engine finds an ordinary, closed ring
        _broken.Dispose();
    }

    /// <summary>Removes the ring's file (Linux) — for tests and tools; readers still mapped keep their copy.</summary>
    public static void Delete(string name)
    {
        if (OperatingSystem.IsWindows()) return;
        string path = RingLayout.PathFor(name);
        // A ring an engine left protected (it died) is append-only where it could be: cleared first, or unlink fails.
        using (SafeFileHandle file = Posix.Open(path, Posix.ReadOnly | Posix.NoFollow | Posix.NonBlocking, 0, out _))
            if (!file.IsInvalid) Posix.ChangeFlags(file, 0, Posix.AppendOnlyFlag);
        if (File.Exists(path) || new FileInfo(path).LinkTarget is not null) File.Delete(path);
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
