using Microsoft.Win32.SafeHandles;

namespace Losses.Platform;

/// <summary>
/// Opening a file the project reads — a config, a tuning, a MIDI file, a frame log, a recording's
/// journal — so that nothing at its path can make the reader hang or read without end: the open
/// never waits (O_NONBLOCK: a named pipe with no writer opens at once instead of blocking until one
/// comes), and what was opened is fstat'ed before a byte is read — a named pipe, a device, a socket
/// or a directory is one line naming it; a regular file larger than the reader's limit is one line
/// too. Where asked (a folder the program repairs), a symbolic link is never followed (O_NOFOLLOW).
/// </summary>
public static class InputFile
{
    /// <summary>Opens <paramref name="path"/> for reading; null when it does not exist and <paramref name="mayBeAbsent"/>.</summary>
    /// <param name="what">The file in the reader's words, for the error line ("the tuning", "the MIDI journal").</param>
    /// <param name="maxBytes">The largest file the reader takes.</param>
    public static FileStream? Open(string path, string what, long maxBytes, bool followLinks = true, bool writable = false, bool mayBeAbsent = false)
    {
        if (OperatingSystem.IsWindows()) return OpenPortable(path, what, maxBytes, writable, mayBeAbsent);
        int flags = (writable ? Posix.ReadWrite : Posix.ReadOnly) | Posix.NonBlocking | (followLinks ? 0 : Posix.NoFollow);
        SafeFileHandle file = Posix.Open(path, flags, 0, out int errno);
        if (file.IsInvalid)
        {
            file.Dispose();
            if (errno == Posix.ENOENT && mayBeAbsent) return null;
            if (errno == Posix.ELOOP && !followLinks)
                throw new IOException($"{path}: {what} is a symbolic link — it is never followed here (a link could lead outside the folder): replace it with the file itself");
            if (errno == Posix.EISDIR) Check(path, what, maxBytes, "a directory", 0);
            if (errno == Posix.ENOENT) throw new FileNotFoundException($"{path}: {what} not found — check the path", path);
            throw new IOException($"{path}: cannot open {what}: {new System.ComponentModel.Win32Exception(errno).Message}");
        }
        try
        {
            if (!Posix.TryStat(file, out FileStatus status)) throw new IOException($"{path}: cannot stat {what}");
            Check(path, what, maxBytes, status.IsRegular ? null : status.Kind, status.Size);
            return new FileStream(file, writable ? FileAccess.ReadWrite : FileAccess.Read, bufferSize: 1 << 16);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads the whole file (at most <paramref name="maxBytes"/>) after the checks of <see cref="Open"/>.</summary>
    public static byte[] ReadAllBytes(string path, string what, long maxBytes, bool followLinks = true)
    {
        using FileStream stream = Open(path, what, maxBytes, followLinks)!;
        // Read to the end rather than trusting the size: a file that grows while read stops at the limit.
        var bytes = new MemoryStream();
        byte[] chunk = new byte[1 << 16];
        int n;
        while ((n = stream.Read(chunk)) > 0)
        {
            if (bytes.Length + n > maxBytes) Check(path, what, maxBytes, null, bytes.Length + n);
            bytes.Write(chunk, 0, n);
        }
        return bytes.ToArray();
    }

    /// <summary>The text of the file (UTF-8), after the checks of <see cref="Open"/>.</summary>
    public static string ReadAllText(string path, string what, long maxBytes, bool followLinks = true) =>
        System.Text.Encoding.UTF8.GetString(ReadAllBytes(path, what, maxBytes, followLinks)).TrimStart('\uFEFF');

    /// <summary>True when <paramref name="path"/> names something (a dangling link included), without following it.</summary>
    public static bool Exists(string path) =>
        OperatingSystem.IsWindows() ? File.Exists(path) || Directory.Exists(path) : Posix.TryLStat(path, out _);

    private static void Check(string path, string what, long maxBytes, string? kind, long size)
    {
        if (kind is not null)
            throw new IOException($"{path}: {what} is {kind}, not a regular file — give the file itself");
        if (size > maxBytes)
            throw new IOException($"{path}: {what} is {Limits.Bytes(size)}, more than the {Limits.Bytes(maxBytes)} one can be — the file is damaged, or not {what}");
    }

    private static FileStream? OpenPortable(string path, string what, long maxBytes, bool writable, bool mayBeAbsent)
    {
        if (Directory.Exists(path)) Check(path, what, maxBytes, "a directory", 0);
        if (!File.Exists(path))
        {
            if (mayBeAbsent) return null;
            throw new FileNotFoundException($"{path}: {what} not found — check the path", path);
        }
        var stream = new FileStream(path, FileMode.Open, writable ? FileAccess.ReadWrite : FileAccess.Read, FileShare.Read);
        try
        {
            Check(path, what, maxBytes, null, stream.Length);
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
