using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;
using Losses.Platform;

namespace Losses.Protocol;

/// <summary>
/// Opening the ring's file under /dev/shm as untrusted ground: never through a symbolic link
/// (O_NOFOLLOW, then fstat of what was opened — no window between check and use), never waiting on
/// what is there (O_NONBLOCK: a named pipe is refused, not waited on), only a regular
/// file of this user with no group or other permissions. The writer alone holds an exclusive
/// flock on it for its whole run: a second engine is told who holds the ring.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static class RingFile
{
    private static string Remove(string path) => $"remove it (rm {path}) and start again";

    /// <summary>Opens (creating, 0600, if <paramref name="create"/>) and checks the ring file; null if absent and not created.</summary>
    public static SafeFileHandle? Open(string path, bool writable, bool create, bool exclusive = false)
    {
        // Non-blocking: a named pipe at the path (any local user can make one in /dev/shm) opens at once and is refused by
        // the check below, instead of blocking the reader or the engine until someone opens its other end.
        int flags = (writable ? Posix.ReadWrite : Posix.ReadOnly) | Posix.NoFollow | Posix.NonBlocking | (create ? Posix.Create : 0) | (exclusive ? Posix.Exclusive : 0);
        SafeFileHandle file = Posix.Open(path, flags, 0b110_000_000, out int errno);
        if (file.IsInvalid)
        {
            file.Dispose();
            if (errno == Posix.ENOENT && !create) return null;
            if (errno == Posix.ELOOP) throw new RingException($"{path} is a symbolic link: a ring is never opened through one — {Remove(path)}");
            if (errno == Posix.EEXIST) throw new RingException($"{path} appeared while the engine was making it: another engine is starting on this ring — stop it, or choose another --ring name");
            throw new RingException($"cannot open the ring at {path}: {new System.ComponentModel.Win32Exception(errno).Message}");
        }
        try
        {
            Check(path, file);
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The file opened must be a regular file of this user, private to them.</summary>
    public static void Check(string path, SafeFileHandle file)
    {
        if (!Posix.TryStat(file, out FileStatus s)) throw new RingException($"cannot stat the ring at {path}");
        if (!s.IsRegular) throw new RingException($"{path} is {s.Kind}, not a ring file — {Remove(path)}");
        uint me = Posix.EffectiveUser();
        if (s.Owner != me) throw new RingException($"{path} belongs to uid {s.Owner}, not to you (uid {me}): another user could read or change it — {Remove(path)}");
        if (s.SharedWithOthers)
            throw new RingException($"{path} has mode {Convert.ToString(s.Permissions, 8).PadLeft(4, '0')}: others could read or change it (a ring is 0600) — {Remove(path)}");
    }

    /// <summary>
    /// A second open of the file <paramref name="file"/> already is (through /proc/self/fd, so the
    /// very inode checked, whatever the path names now), for reading and writing.
    /// </summary>
    public static SafeFileHandle Reopen(string path, SafeFileHandle file)
    {
        SafeFileHandle again = Posix.Open($"/proc/self/fd/{(int)file.DangerousGetHandle()}", Posix.ReadWrite, 0, out int errno);
        if (again.IsInvalid)
        {
            again.Dispose();
            throw new RingException($"cannot open the ring at {path} for writing: {new System.ComponentModel.Win32Exception(errno).Message}");
        }
        if (!Posix.TryStat(file, out FileStatus first) || !Posix.TryStat(again, out FileStatus second) || !first.SameFileAs(second))
        {
            again.Dispose();
            throw new RingException($"{path} changed while the engine opened it — {Remove(path)}");
        }
        return again;
    }

    /// <summary>
    /// While an engine writes it, nothing may shrink the ring under its mapping (a page past the end
    /// is SIGBUS, which kills the engine before any check could run): the file is made read-only
    /// (0400: no new open for writing by its user) and, where the engine may (root), append-only
    /// (no truncation even by root until `chattr -a`). The engine's own descriptor stays writable.
    /// </summary>
    public static void Protect(SafeFileHandle file)
    {
        Posix.FChmod(file, 0b100_000_000);
        Posix.ChangeFlags(file, Posix.AppendOnlyFlag, 0); // EPERM for a user without CAP_LINUX_IMMUTABLE: 0400 protects them
    }

    /// <summary>Back to an ordinary 0600 file, for the next engine (or one left protected by an engine that died).</summary>
    public static void Unprotect(string path, SafeFileHandle file)
    {
        int errno = Posix.ChangeFlags(file, 0, Posix.AppendOnlyFlag);
        if (errno != 0 && errno != 25 /* ENOTTY: no flags here */ && errno != 95 /* EOPNOTSUPP */ && errno != 1 /* EPERM: we never set it */)
            throw new RingException($"cannot clear the append-only flag of {path}: {new System.ComponentModel.Win32Exception(errno).Message} (chattr -a {path})");
        Posix.FChmod(file, 0b110_000_000);
    }

    /// <summary>Takes the writer's exclusive lock, or says which engine holds the ring.</summary>
    public static void LockForWriter(string name, string path, SafeFileHandle file)
    {
        int errno = Posix.FLock(file, Posix.LockExclusive | Posix.LockNonBlocking);
        if (errno == 0) return;
        if (errno != Posix.EAGAIN) throw new RingException($"cannot lock the ring at {path}: {new System.ComponentModel.Win32Exception(errno).Message}");
        long pid = WriterPid(file);
        string who = pid > 0 ? $"another engine (pid {pid})" : "another engine";
        throw new RingException($"ring '{name}' is in use by {who}: stop it, or give this engine another --ring name");
    }

    /// <summary>The pid the header names (0 if it does not hold a whole header yet).</summary>
    private static long WriterPid(SafeFileHandle file)
    {
        Span<byte> header = stackalloc byte[RingLayout.StartedUnixMsOffset];
        try
        {
            if (RandomAccess.Read(file, header, 0) < header.Length) return 0;
        }
        catch (IOException)
        {
            return 0;
        }
        return BinaryPrimitives.ReadUInt64LittleEndian(header) == RingLayout.Magic
            ? BinaryPrimitives.ReadInt64LittleEndian(header[RingLayout.WriterPidOffset..])
            : 0;
    }
}
