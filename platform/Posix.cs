using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Losses.Platform;

/// <summary>What stat(2) says about a file: enough to tell its type, owner, permissions and identity.</summary>
public readonly record struct FileStatus(ulong Device, ulong Inode, uint Mode, uint Owner, long Size)
{
    private const uint TypeMask = 0xF000;
    public bool IsRegular => (Mode & TypeMask) == 0x8000;
    public bool IsSymbolicLink => (Mode & TypeMask) == 0xA000;
    public bool IsDirectory => (Mode & TypeMask) == 0x4000;
    /// <summary>Read, write or execute for the group or others (the low six permission bits).</summary>
    public bool SharedWithOthers => (Mode & 0x3F) != 0;
    public uint Permissions => Mode & 0xFFF;

    /// <summary>The kind of file, in words for an error line.</summary>
    public string Kind => (Mode & TypeMask) switch
    {
        0x8000 => "a regular file",
        0x4000 => "a directory",
        0xA000 => "a symbolic link",
        0x2000 => "a character device",
        0x6000 => "a block device",
        0x1000 => "a named pipe",
        0xC000 => "a socket",
        _ => "not a regular file",
    };

    public bool SameFileAs(in FileStatus other) => Device == other.Device && Inode == other.Inode;
}

/// <summary>
/// The few POSIX calls .NET does not expose: open without following a symbolic link, fstat/lstat
/// (owner, mode, inode), flock, ftruncate. Linux only (x86-64 and arm64 struct stat layouts).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal static unsafe partial class Posix
{
    public const int ReadOnly = 0, WriteOnly = 1, ReadWrite = 2;
    public const int Create = 0x40, Exclusive = 0x80, Truncate = 0x200;
    /// <summary>O_NONBLOCK (the same on x86-64 and arm64): opening a named pipe never waits for its other end.</summary>
    public const int NonBlocking = 0x800;
    public const int CloseOnExec = 0x80000;
    // O_NOFOLLOW differs between the x86 family and the generic (arm64) ABI.
    public static readonly int NoFollow = RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.X86 ? 0x20000 : 0x8000;

    public const int ENOENT = 2, EAGAIN = 11, EEXIST = 17, EISDIR = 21, ELOOP = 40;
    public const int LockExclusive = 2, LockNonBlocking = 4;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenRaw(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FStatRaw(int fd, byte* buffer);

    [LibraryImport("libc", EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LStatRaw(string path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "stat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatRaw(string path, byte* buffer);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int FLockRaw(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "ftruncate", SetLastError = true)]
    private static partial int FTruncateRaw(int fd, long length);

    [LibraryImport("libc", EntryPoint = "inotify_init1", SetLastError = true)]
    private static partial int InotifyInitRaw(int flags);

    [LibraryImport("libc", EntryPoint = "inotify_add_watch", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int InotifyAddWatchRaw(int fd, string path, uint mask);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int PollRaw(long* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint ReadRaw(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FChmodRaw(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int IoctlRaw(int fd, nuint request, int* argument);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint EffectiveUser();

    /// <summary>open(2); the handle closes the descriptor. Invalid handle and errno on failure.</summary>
    public static SafeFileHandle Open(string path, int flags, int mode, out int errno)
    {
        int fd = OpenRaw(path, flags | CloseOnExec, mode);
        errno = fd < 0 ? Marshal.GetLastPInvokeError() : 0;
        return new SafeFileHandle(fd, ownsHandle: fd >= 0);
    }

    /// <summary>fstat(2) of an open file: allocation-free, fit for a watchdog thread.</summary>
    public static bool TryStat(SafeFileHandle file, out FileStatus status)
    {
        byte* buffer = stackalloc byte[256];
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int result = FStatRaw((int)file.DangerousGetHandle(), buffer);
            status = result == 0 ? Decode(buffer) : default;
            return result == 0;
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    /// <summary>lstat(2): the path itself, a symbolic link not followed. False if it does not exist.</summary>
    public static bool TryLStat(string path, out FileStatus status)
    {
        byte* buffer = stackalloc byte[256];
        bool ok = LStatRaw(path, buffer) == 0;
        status = ok ? Decode(buffer) : default;
        return ok;
    }

    /// <summary>stat(2): what the path leads to. False if it does not exist.</summary>
    public static bool TryStat(string path, out FileStatus status)
    {
        byte* buffer = stackalloc byte[256];
        bool ok = StatRaw(path, buffer) == 0;
        status = ok ? Decode(buffer) : default;
        return ok;
    }

    public static int FLock(SafeFileHandle file, int operation) => WithFd(file, fd => FLockRaw(fd, operation) == 0 ? 0 : Marshal.GetLastPInvokeError());

    public static int FTruncate(SafeFileHandle file, long length) => WithFd(file, fd => FTruncateRaw(fd, length) == 0 ? 0 : Marshal.GetLastPInvokeError());

    public static int FChmod(SafeFileHandle file, uint mode) => WithFd(file, fd => FChmodRaw(fd, mode) == 0 ? 0 : Marshal.GetLastPInvokeError());

    /// <summary>FS_APPEND_FL: no truncation, no writes but appends through new opens — by anyone, root included, until cleared.</summary>
    public const int AppendOnlyFlag = 0x20;
    private const nuint GetFlags = 0x80086601, SetFlags = 0x40086602; // FS_IOC_GETFLAGS / FS_IOC_SETFLAGS

    /// <summary>Sets or clears inode flags (chattr); errno on failure (EPERM without CAP_LINUX_IMMUTABLE, ENOTTY where unsupported).</summary>
    public static int ChangeFlags(SafeFileHandle file, int set, int clear) => WithFd(file, fd =>
    {
        int flags = 0;
        if (IoctlRaw(fd, GetFlags, &flags) != 0) return Marshal.GetLastPInvokeError();
        int wanted = (flags | set) & ~clear;
        if (wanted == flags) return 0;
        return IoctlRaw(fd, SetFlags, &wanted) == 0 ? 0 : Marshal.GetLastPInvokeError();
    });

    /// <summary>
    /// An inotify descriptor watching one open file for changes of size or attributes (truncation is
    /// IN_MODIFY): a watchdog blocked in <see cref="WaitForChange"/> wakes the moment it happens.
    /// Watched through /proc/self/fd, so it is the inode we opened, whatever the path now names.
    /// </summary>
    public static SafeFileHandle? WatchForChanges(SafeFileHandle file)
    {
        const int NonBlocking = 0x800;
        const uint Modify = 0x2, Attributes = 0x4;
        int fd = InotifyInitRaw(NonBlocking | CloseOnExec);
        if (fd < 0) return null;
        var watch = new SafeFileHandle(fd, ownsHandle: true);
        string target = $"/proc/self/fd/{(int)file.DangerousGetHandle()}";
        if (InotifyAddWatchRaw(fd, target, Modify | Attributes) < 0)
        {
            watch.Dispose();
            return null;
        }
        return watch;
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> for an event on the watch, then drains it. Allocation-free.</summary>
    public static void WaitForChange(SafeFileHandle watch, int timeoutMs)
    {
        int fd = (int)watch.DangerousGetHandle();
        long pollfd = (uint)fd | (1L << 32); // struct pollfd { int fd; short events = POLLIN; short revents; }
        if (PollRaw(&pollfd, 1, timeoutMs) <= 0) return;
        byte* buffer = stackalloc byte[512];
        while (ReadRaw(fd, buffer, 512) > 0) { }
    }

    private static int WithFd(SafeFileHandle file, Func<int, int> call)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            return call((int)file.DangerousGetHandle());
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }

    private static FileStatus Decode(byte* b)
    {
        // glibc's struct stat: x86-64 has a 64-bit st_nlink before st_mode; the generic ABI (arm64) a 32-bit one after it.
        bool x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        ulong device = *(ulong*)b;
        ulong inode = *(ulong*)(b + 8);
        uint mode = x64 ? *(uint*)(b + 24) : *(uint*)(b + 16);
        uint owner = x64 ? *(uint*)(b + 28) : *(uint*)(b + 24);
        long size = *(long*)(b + 48);
        return new FileStatus(device, inode, mode, owner, size);
    }
}
