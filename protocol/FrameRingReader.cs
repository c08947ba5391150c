using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Losses.Platform;

namespace Losses.Protocol;

/// <summary>Where a new reader starts in the stream of the engine it attaches to.</summary>
public enum RingJoin
{
    /// <summary>At the next frame the engine publishes (a visualiser joining mid-performance).</summary>
    Latest,
    /// <summary>At the first frame of the engine's run; frames already overwritten count as lost (tools, tests).</summary>
    FromStart,
}

public enum RingState
{
    /// <summary>No ring of this name yet, or its writer is still making it.</summary>
    WaitingForEngine,
    Live,
    /// <summary>The engine closed the ring; the reader keeps looking for the next engine.</summary>
    Stopped,
    /// <summary>The ring says live but its heartbeat stopped: the engine was killed or hangs.</summary>
    Stalled,
}

/// <summary>
/// A reader of the engine's frame ring. It maps the ring read-only and never writes anything,
/// so it can never block, slow or corrupt the writer; it follows every frame since its last read,
/// counts frames it was lapped out of, rejects torn frames, and follows an engine restart (new
/// generation) without being restarted itself. Shared memory is untrusted: anything that does not
/// add up raises a <see cref="RingException"/> with one line, never an out-of-bounds read.
/// </summary>
public sealed unsafe class FrameRingReader : IDisposable
{
    private readonly string _path;
    private readonly RingJoin _join;
    private Mapping? _map;
    private long _mask;
    private int _slotSize;
    private long _position;
    private long _nextReopenMs;
    // The mapping is checked (file size, header) once per poll: on attach and after each read that found nothing new.
    private bool _checkDue = true;

    /// <summary>A live ring whose heartbeat is older than this is an engine that stopped (killed or hung).</summary>
    public const long StallMs = 2000;

    private FrameRingReader(string name, RingJoin join)
    {
        Name = name;
        _path = RingLayout.PathFor(name);
        _join = join;
    }

    public string Name { get; }
    public RingState State { get; private set; } = RingState.WaitingForEngine;
    /// <summary>The writer's generation this reader follows (0 before attaching).</summary>
    public long Generation { get; private set; }
    public int Capacity { get; private set; }
    /// <summary>Frames read.</summary>
    public long Seen { get; private set; }
    /// <summary>Frames the writer overwrote before this reader got to them (including torn reads, rejected).</summary>
    public long Lost { get; private set; }
    /// <summary>Times this reader started over: attached, lapped, or a new engine generation.</summary>
    public int Resyncs { get; private set; }
    /// <summary>Position of the next frame to read in the current generation.</summary>
    public long Position => _position;

    /// <summary>Test hook: runs between the copy of a frame and the check of its sequence.</summary>
    internal Action? AfterCopy { get; set; }

    /// <summary>Opens a reader; the ring need not exist yet (the reader waits for the engine).</summary>
    public static FrameRingReader Open(string name, RingJoin join = RingJoin.Latest)
    {
        if (RingLayout.NameProblem(name) is string problem) throw new RingException(problem);
        var reader = new FrameRingReader(name, join);
        reader.TryAttach(initial: true);
        return reader;
    }

    /// <summary>Milliseconds since the writer's last heartbeat (−1 when not attached).</summary>
    public long HeartbeatAgeMs => _map is null ? -1 : Environment.TickCount64 - Volatile.Read(ref *(long*)(_map.Base + RingLayout.HeartbeatOffset));

    /// <summary>The writer's published position: frames written in this generation (−1 when not attached).</summary>
    public long WriterPosition => _map is null ? -1 : Volatile.Read(ref *(long*)(_map.Base + RingLayout.WritePositionOffset));

    /// <summary>
    /// Reads the next frame into <paramref name="frame"/>. False when there is nothing new (or no
    /// engine yet); frames lost to a lap or a torn read are counted in <see cref="Lost"/>.
    /// </summary>
    public bool TryRead(out Frame frame)
    {
        frame = default;
        if (_map is null && !TryAttach(initial: false)) return false;
        if (_checkDue)
        {
            _checkDue = false;
            CheckMapping();
            if (_map is null) return false;
        }
        byte* b = _map!.Base;

        while (true)
        {
            ulong magic = Volatile.Read(ref *(ulong*)(b + RingLayout.MagicOffset));
            long generation = Volatile.Read(ref *(long*)(b + RingLayout.GenerationOffset));
            int state = Volatile.Read(ref *(int*)(b + RingLayout.StateOffset));
            if (magic != RingLayout.Magic) { _checkDue = true; return false; } // the writer is re-making the ring
            if (generation != Generation)
            {
                // A new engine took the ring over: its frames are all new to us.
                if (!Revalidate()) return false;
                Generation = generation;
                _position = 0;
                Resyncs++;
            }

            long write = Volatile.Read(ref *(long*)(b + RingLayout.WritePositionOffset));
            if (write < 0 || write > long.MaxValue / 4)
                throw new RingException($"ring '{Name}' is corrupt: write position {write} (restart the engine)");
            if (_position >= write)
            {
                if (_position > write) { _position = write; Resyncs++; } // the writer went back: follow it
                State = state == RingLayout.StateClosed ? RingState.Stopped
                    : HeartbeatAgeMs > StallMs ? RingState.Stalled : RingState.Live;
                if (State != RingState.Live) MaybeReopen();
                _checkDue = true;
                return false;
            }
            State = RingState.Live;

            if (write - _position > Capacity)
            {
                // Lapped: everything older than the latest frame is gone or about to be. Count it
                // and jump to the latest (loss is not an error).
                Lost += write - 1 - _position;
                _position = write - 1;
                Resyncs++;
            }

            byte* slot = b + RingLayout.SlotsOffset + (_position & _mask) * _slotSize;
            ref long sequence = ref *(long*)(slot + RingLayout.SlotSequenceOffset);
            long expected = 2 * _position + 2;
            // Acquire: the frame's bytes are read after the sequence that vouches for them.
            long before = Volatile.Read(ref sequence);
            if (before != expected)
            {
                if (before > expected) { Lost++; _position++; continue; } // overwritten by a later lap
                _checkDue = true;
                return false; // not complete yet (the position is ahead of this slot's store)
            }

            new ReadOnlySpan<byte>(slot + RingLayout.SlotFrameOffset, Frame.Size).CopyTo(MemoryMarshal.AsBytes(new Span<Frame>(ref frame)));
            AfterCopy?.Invoke();
            // Full fence: every load of the copy completes before the sequence is read again
            // (an acquire read alone would let the copy's loads drift below it).
            Interlocked.MemoryBarrier();
            long after = Volatile.Read(ref sequence);
            if (after != before || Volatile.Read(ref *(long*)(b + RingLayout.GenerationOffset)) != Generation)
            {
                Lost++; // torn: the writer came round during our copy; never accept it
                _position++;
                frame = default;
                continue;
            }
            if (frame.Index != _position)
                throw new RingException($"ring '{Name}' is corrupt: slot for frame {_position} holds frame {frame.Index}");
            _position++;
            Seen++;
            return true;
        }
    }

    /// <summary>
    /// Maps the ring if it is there and ready. Joining at open follows <see cref="RingJoin"/>; an
    /// engine that appears later (we were waiting for it) is read from its first frame.
    /// </summary>
    private bool TryAttach(bool initial)
    {
        Mapping? map = OpenMapping();
        if (map is null) { State = RingState.WaitingForEngine; return false; }
        byte* b = map.Base;
        if (Volatile.Read(ref *(ulong*)(b + RingLayout.MagicOffset)) == 0)
        {
            map.Dispose(); // the writer is still making it
            State = RingState.WaitingForEngine;
            return false;
        }
        Validate(map);
        _map?.Dispose();
        _map = map;
        Generation = Volatile.Read(ref *(long*)(b + RingLayout.GenerationOffset));
        long write = Volatile.Read(ref *(long*)(b + RingLayout.WritePositionOffset));
        if (write < 0 || write > long.MaxValue / 4)
            throw new RingException($"ring '{Name}' is corrupt: write position {write} (restart the engine)");
        _position = initial && _join == RingJoin.Latest ? write : 0;
        Resyncs++;
        State = RingState.Live;
        _checkDue = true;
        return true;
    }

    private Mapping? OpenMapping()
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                var named = MemoryMappedFile.OpenExisting(_path, MemoryMappedFileRights.Read);
                return new Mapping(named, 0, writable: false);
            }
            // Never through a symbolic link; only this user's private regular file (see RingFile).
            SafeFileHandle? file = RingFile.Open(_path, writable: false, create: false);
            if (file is null) return null;
            try
            {
                long length = Posix.TryStat(file, out FileStatus status) ? status.Size : 0;
                if (length < RingLayout.SlotsOffset)
                {
                    file.Dispose();
                    if (length == 0) return null; // just created, not sized yet
                    throw new RingException($"{_path} is not a Losses frame ring: {length} bytes is too short (delete it, or choose another --ring name)");
                }
                var mmf = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
                return new Mapping(mmf, length, writable: false, file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                file.Dispose();
                throw;
            }
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RingException($"cannot open the ring at {_path}: {e.Message}");
        }
    }

    /// <summary>
    /// Once per poll: the file still covers the mapping (a truncated file would kill this process
    /// with SIGBUS on the next read), and the header still says what it said at attach. Garbage is
    /// "ring corrupt", one line; a header being re-made by a new engine (magic 0) is not.
    /// </summary>
    private void CheckMapping()
    {
        Mapping map = _map!;
        if (!map.StillWhole(out long size))
        {
            _map = null;
            map.Dispose();
            throw new RingException($"ring '{Name}' was truncated to {size} bytes while mapped (by another process): stopped — start the engine again");
        }
        byte* b = map.Base;
        ulong magic = Volatile.Read(ref *(ulong*)(b + RingLayout.MagicOffset));
        if (magic == 0) return; // an engine is re-making the header
        string? problem = magic != RingLayout.Magic ? $"magic {magic:X16}"
            : *(int*)(b + RingLayout.LayoutVersionOffset) != RingLayout.Version ? "layout version"
            : *(int*)(b + RingLayout.FrameSizeOffset) != Frame.Size ? "frame size"
            : *(int*)(b + RingLayout.SlotSizeOffset) != _slotSize ? "slot size"
            : *(int*)(b + RingLayout.StateOffset) is not (RingLayout.StateLive or RingLayout.StateClosed) ? "state"
            : null;
        if (problem is not null)
            throw new RingException($"ring '{Name}' is corrupt: its header changed ({problem}) under a reader — restart the engine (it re-makes the ring)");
    }

    /// <summary>Checks every header field before any slot is touched.</summary>
    private void Validate(Mapping map)
    {
        byte* b = map.Base;
        ulong magic = *(ulong*)(b + RingLayout.MagicOffset);
        int version = *(int*)(b + RingLayout.LayoutVersionOffset);
        int frameSize = *(int*)(b + RingLayout.FrameSizeOffset);
        int capacity = *(int*)(b + RingLayout.CapacityOffset);
        int slotSize = *(int*)(b + RingLayout.SlotSizeOffset);
        string fix = "(delete it, or choose another --ring name)";
        if (magic != RingLayout.Magic)
        {
            map.Dispose();
            throw new RingException($"{_path} is not a Losses frame ring (wrong magic) {fix}");
        }
        string? problem = null;
        if (version != RingLayout.Version) problem = $"layout version {version}, this reader needs {RingLayout.Version} (update the engine or the visualiser)";
        else if (frameSize != Frame.Size) problem = $"frame size {frameSize}, this reader needs {Frame.Size}";
        else if (capacity < RingLayout.MinCapacity || capacity > RingLayout.MaxCapacity || (capacity & (capacity - 1)) != 0) problem = $"capacity {capacity} is not a power of two in {RingLayout.MinCapacity}..{RingLayout.MaxCapacity}";
        else if (slotSize != RingLayout.SlotSize(frameSize)) problem = $"slot size {slotSize}, expected {RingLayout.SlotSize(frameSize)}";
        else if (map.Length < RingLayout.FileSize(capacity, frameSize)) problem = $"truncated: {map.Length} bytes, a ring of {capacity} frames needs {RingLayout.FileSize(capacity, frameSize)}";
        if (problem is not null)
        {
            map.Dispose();
            throw new RingException($"ring '{Name}' at {_path}: {problem}");
        }
        Capacity = capacity;
        _mask = capacity - 1;
        _slotSize = slotSize;
    }

    /// <summary>A new generation may come with a new header: check it again before trusting it.</summary>
    private bool Revalidate()
    {
        if (Volatile.Read(ref *(int*)(_map!.Base + RingLayout.CapacityOffset)) == Capacity) return true;
        _map.Dispose();
        _map = null;
        return TryAttach(initial: false);
    }

    /// <summary>After the engine closed the ring, look (at most 4 times a second) for a new engine's ring.</summary>
    private void MaybeReopen()
    {
        long now = Environment.TickCount64;
        if (now < _nextReopenMs) return;
        _nextReopenMs = now + 250;
        if (OperatingSystem.IsWindows()) return;
        Mapping? map = OpenMapping();
        if (map is null) return;
        long generation = *(ulong*)(map.Base + RingLayout.MagicOffset) == RingLayout.Magic ? Volatile.Read(ref *(long*)(map.Base + RingLayout.GenerationOffset)) : Generation;
        map.Dispose();
        if (generation == Generation) return;
        _map?.Dispose();
        _map = null;
        TryAttach(initial: false); // everything the new engine wrote is new to us
    }

    public void Dispose()
    {
        _map?.Dispose();
        _map = null;
    }
}
