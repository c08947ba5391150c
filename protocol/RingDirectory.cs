using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using Losses.Platform;

namespace Losses.Protocol;

/// <summary>One ring file on this machine, as `losses rings` reports it.</summary>
public sealed record RingInfo(string Name, string Path)
{
    /// <summary>Why this is not a ring this user can read (a named pipe, another user's file…); null for a ring.</summary>
    public string? Problem { get; init; }
    /// <summary>An engine holds the ring's writer lock right now.</summary>
    public bool Alive { get; init; }
    /// <summary>The engine the header names (0 when unknown).</summary>
    public long WriterPid { get; init; }
    public bool Closed { get; init; }
    public long Generation { get; init; }
    public int Capacity { get; init; }
    public long Frames { get; init; }
    public long StartedUnixMs { get; init; }
    /// <summary>Milliseconds since the engine's last heartbeat (−1 when unknown).</summary>
    public long HeartbeatAgeMs { get; init; } = -1;
    public long Bytes { get; init; }
}

/// <summary>
/// The rings on this machine (the `losses-NAME.ring` files of /dev/shm): what each is, which engine
/// wrote it and whether that engine still runs (it holds the ring's writer lock: read from
/// /proc/locks, so looking never takes a lock a starting engine could trip over); and the removal
/// of one whose engine has stopped — a killed engine leaves its ring read-only and, where it could,
/// append-only, which `rm` cannot remove.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public static class RingDirectory
{
    public static string Folder => System.IO.Path.GetDirectoryName(RingLayout.PathFor("x"))!;

    public static IReadOnlyList<RingInfo> List()
    {
        var held = WriteLockedFiles();
        var rings = new List<RingInfo>();
        foreach (string path in Directory.EnumerateFileSystemEntries(Folder, "losses-*.ring").Order(StringComparer.Ordinal))
        {
            string file = System.IO.Path.GetFileName(path);
            string name = file["losses-".Length..^".ring".Length];
            rings.Add(Describe(name, path, held));
        }
        return rings;
    }

    /// <summary>What is at ring <paramref name="name"/>'s path; null when nothing is.</summary>
    public static RingInfo? Find(string name)
    {
        string path = RingLayout.PathFor(name);
        return Posix.TryLStat(path, out _) ? Describe(name, path, WriteLockedFiles()) : null;
    }

    /// <summary>Removes ring <paramref name="name"/> unless an engine holds it; one line (an exception) otherwise.</summary>
    public static RingInfo Remove(string name)
    {
        string path = RingLayout.PathFor(name);
        RingInfo ring = Find(name) ?? throw new IOException($"no ring '{name}' here ({path} does not exist): losses rings lists them");
        if (ring.Alive)
            throw new IOException($"ring '{name}' is in use by a running engine (pid {ring.WriterPid}): stop that engine first — a ring is removed only when no engine writes it");
        if (!Posix.TryLStat(path, out FileStatus s)) return ring;
        uint me = Posix.EffectiveUser();
        if (s.Owner != me && me != 0)
            throw new IOException($"{path} belongs to uid {s.Owner}, not to you (uid {me}): only its owner (or root) can remove it");
        using SafeFileHandle file = s.IsRegular ? Posix.Open(path, Posix.ReadOnly | Posix.NoFollow | Posix.NonBlocking, 0, out _) : new SafeFileHandle();
        if (!file.IsInvalid)
        {
            // The writer's own lock, taken for the moment of removal: held by an engine that started since we looked, it refuses.
            if (Posix.FLock(file, Posix.LockExclusive | Posix.LockNonBlocking) == Posix.EAGAIN)
                throw new IOException($"ring '{name}' is in use by a running engine: stop that engine first — a ring is removed only when no engine writes it");
            // A killed engine left it append-only where it could (root): cleared first, or unlink fails.
            if (Posix.ChangeFlags(file, 0, Posix.AppendOnlyFlag) == 1 /* EPERM: set, and this user may not clear it */)
                throw new IOException($"{path} is append-only (chattr +a, set by an engine run as root): remove it as root — sudo chattr -a {path} && sudo rm {path}");
        }
        try
        {
            File.Delete(path); // unlink: a link or a pipe at the path is removed itself, never what it leads to
        }
        catch (UnauthorizedAccessException e)
        {
            throw new IOException($"cannot remove {path}: {e.Message}");
        }
        return ring;
    }

    private static RingInfo Describe(string name, string path, HashSet<(uint Major, uint Minor, ulong Inode)> held)
    {
        var info = new RingInfo(name, path);
        if (!Posix.TryLStat(path, out FileStatus s)) return info with { Problem = "gone" };
        if (!s.IsRegular) return info with { Problem = $"not a ring: {s.Kind}" };
        bool alive = held.Contains(DeviceInode(s));
        info = info with { Alive = alive, Bytes = s.Size };
        uint me = Posix.EffectiveUser();
        if (s.Owner != me) return info with { Problem = $"another user's (uid {s.Owner})" };
        using SafeFileHandle file = Posix.Open(path, Posix.ReadOnly | Posix.NoFollow | Posix.NonBlocking, 0, out int errno);
        if (file.IsInvalid) return info with { Problem = $"cannot open: {new System.ComponentModel.Win32Exception(errno).Message}" };
        Span<byte> header = stackalloc byte[RingLayout.SlotsOffset];
        int n;
        try { n = RandomAccess.Read(file, header, 0); }
        catch (IOException e) { return info with { Problem = $"cannot read: {e.Message}" }; }
        if (n < header.Length || BinaryPrimitives.ReadUInt64LittleEndian(header) != RingLayout.Magic)
            return info with { Problem = n == 0 ? "empty (an engine is making it, or died making it)" : "not a Losses ring (wrong magic)" };
        long heartbeat = BinaryPrimitives.ReadInt64LittleEndian(header[RingLayout.HeartbeatOffset..]);
        return info with
        {
            WriterPid = BinaryPrimitives.ReadInt64LittleEndian(header[RingLayout.WriterPidOffset..]),
            Closed = BinaryPrimitives.ReadInt32LittleEndian(header[RingLayout.StateOffset..]) == RingLayout.StateClosed,
            Generation = BinaryPrimitives.ReadInt64LittleEndian(header[RingLayout.GenerationOffset..]),
            Capacity = BinaryPrimitives.ReadInt32LittleEndian(header[RingLayout.CapacityOffset..]),
            Frames = BinaryPrimitives.ReadInt64LittleEndian(header[RingLayout.WritePositionOffset..]),
            StartedUnixMs = BinaryPrimitives.ReadInt64LittleEndian(header[RingLayout.StartedUnixMsOffset..]),
            HeartbeatAgeMs = heartbeat > 0 ? Math.Max(0, Environment.TickCount64 - heartbeat) : -1,
        };
    }

    /// <summary>The files some process holds an exclusive flock on: "N: FLOCK ADVISORY WRITE PID MAJ:MIN:INODE 0 EOF".</summary>
    private static HashSet<(uint, uint, ulong)> WriteLockedFiles()
    {
        var held = new HashSet<(uint, uint, ulong)>();
        try
        {
            foreach (string line in File.ReadLines("/proc/locks"))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int at = Array.IndexOf(f, "FLOCK");
                if (at < 0 || f.Length < at + 5 || f[at + 2] != "WRITE") continue;
                string[] id = f[at + 4].Split(':');
                if (id.Length == 3
                    && uint.TryParse(id[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint major)
                    && uint.TryParse(id[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint minor)
                    && ulong.TryParse(id[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
                    held.Add((major, minor, inode));
            }
        }
        catch (IOException)
        {
            // No /proc/locks: every ring reads as stopped; removal still takes the writer's lock first.
        }
        return held;
    }

    /// <summary>glibc's major/minor split of a dev_t.</summary>
    private static (uint, uint, ulong) DeviceInode(in FileStatus s)
    {
        ulong d = s.Device;
        uint major = (uint)(((d >> 8) & 0xFFF) | ((d >> 32) & ~0xFFFUL));
        uint minor = (uint)((d & 0xFF) | ((d >> 12) & ~0xFFUL));
        return (major, minor, s.Inode);
    }
}
