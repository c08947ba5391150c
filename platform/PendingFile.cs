using System.Security.Cryptography;

namespace Losses.Platform;

/// <summary>
/// A file written under a temporary name beside its target and moved into place only when
/// complete: a failed or interrupted write never leaves a half-written file under the real name.
/// The temporary name is unpredictable and created exclusively (O_EXCL: a file or symbolic link
/// planted there makes the create fail, it is never followed); the target must be a regular file
/// (or absent) and not one of the command's inputs. In an <see cref="OutputSet"/>, <see cref="Commit"/>
/// only readies the file: the set moves all its files into place together, or none.
/// </summary>
public sealed class PendingFile : IDisposable
{
    private readonly OutputSet? _set;
    private bool _ready, _committed;

    public PendingFile(string path, int bufferSize = 1 << 16, OutputSet? set = null)
    {
        _set = set;
        Path = OutputSet.CheckTarget(path, set);
        string dir = System.IO.Path.GetDirectoryName(Path)!;
        string name = System.IO.Path.GetFileNameWithoutExtension(Path), extension = System.IO.Path.GetExtension(Path);
        for (int attempt = 0; ; attempt++)
        {
            // Hidden, beside the target (same file system: the rename is atomic), extension kept for tools that go by it.
            string suffix = SuffixForTests?.Invoke(attempt) ?? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
            TempPath = System.IO.Path.Combine(dir, $".{name}.tmp-{suffix}{extension}");
            try
            {
                Stream = new FileStream(TempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize);
                break;
            }
            catch (IOException) when (attempt < 8 && (File.Exists(TempPath) || IsLink(TempPath)))
            {
                // Taken (by chance, or planted): draw another name.
            }
        }
        set?.Add(this);
    }

    /// <summary>Tests plant a file at the name a temporary would take: the suffix for each attempt (null: random).</summary>
    internal static Func<int, string?>? SuffixForTests { get; set; }

    public string Path { get; }
    public string TempPath { get; private set; } = "";
    public FileStream Stream { get; private set; } = null!;

    /// <summary>Flushes to disk and moves the file into place (in a set: readies it for the set's commit).</summary>
    public void Commit()
    {
        if (Stream.CanWrite) Stream.Flush(flushToDisk: true); // closed already when another writer (OpenCV) filled the file
        Stream.Dispose();
        _ready = true;
        if (_set is null) MoveIntoPlace();
    }

    internal bool Ready => _ready;

    internal void MoveIntoPlace()
    {
        File.Move(TempPath, Path, overwrite: true);
        _committed = true;
    }

    /// <summary>
    /// Without a commit, the temporary file is removed — even when closing it fails (a full disk).
    /// A file readied in a set stays for the set, which removes it unless the set is committed.
    /// </summary>
    public void Dispose()
    {
        if (_set is null || !_ready) Discard();
    }

    internal void Discard()
    {
        try
        {
            Stream.Dispose();
        }
        catch (IOException)
        {
            // The buffered tail could not be written (no space left): the file goes anyway.
        }
        finally
        {
            if (!_committed) File.Delete(TempPath);
        }
    }

    private static bool IsLink(string path) => new FileInfo(path).LinkTarget is not null;

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var file = new PendingFile(path);
        file.Stream.Write(bytes);
        file.Commit();
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// The outputs of one command: each is written to its own temporary file; <see cref="Commit"/>
/// moves them all into place once every one is complete, and disposing without a commit removes
/// every temporary file — so a command leaves all its results or none. It also knows the
/// command's inputs, so no output can overwrite one.
/// </summary>
public sealed class OutputSet(params string?[] inputs) : IDisposable
{
    private readonly List<PendingFile> _files = [];
    private readonly string[] _inputs = inputs.OfType<string>().ToArray();

    internal void Add(PendingFile file) => _files.Add(file);

    /// <summary>Refuses, before anything is written, an output that is not a regular file, is an input, or is another output.</summary>
    public void Check(string path) => CheckTarget(path, this);

    /// <summary>Moves every file into place; each must have been committed (readied) first.</summary>
    public void Commit()
    {
        foreach (PendingFile f in _files)
            if (!f.Ready) throw new InvalidOperationException($"{f.Path} was not finished before its set was committed");
        foreach (PendingFile f in _files) f.MoveIntoPlace();
    }

    public void Dispose()
    {
        foreach (PendingFile f in _files) f.Discard();
    }

    /// <summary>
    /// What is wrong with <paramref name="path"/> as a file name given on a command line, or null:
    /// empty, a NUL, a trailing '/', "." or "..", a name too long for the file system.
    /// </summary>
    public static string? PathProblem(string path)
    {
        if (path.Length == 0) return "is empty: give a file name";
        if (path.Contains('\0')) return "contains a NUL character";
        if (path.EndsWith('/') || path.EndsWith(System.IO.Path.DirectorySeparatorChar)) return $"'{path}' ends with '/': give a file name, not a folder";
        string name = System.IO.Path.GetFileName(path);
        if (name is "." or "..") return $"'{path}' names a folder: give a file name";
        if (System.Text.Encoding.UTF8.GetByteCount(name) > 255) return $"'{path[..Math.Min(40, path.Length)]}…': the file name is longer than 255 bytes";
        if (path.Length > 4000) return "is longer than 4000 characters";
        return null;
    }

    /// <summary>The full path of an output, after refusing one that is not a regular file or is an input (one line each).</summary>
    internal static string CheckTarget(string path, OutputSet? set)
    {
        if (PathProblem(path) is string problem) throw new OutputFileException($"output path {problem}");
        string full = System.IO.Path.GetFullPath(path);
        if (!OperatingSystem.IsWindows() && Posix.TryLStat(full, out FileStatus target) && !target.IsRegular && !target.IsSymbolicLink)
            throw new OutputFileException($"{path} is {target.Kind}, not a regular file: an output is only ever written to a file (give a file path)");
        if (Directory.Exists(full)) throw new OutputFileException($"{path} is a directory, not a regular file: give a file path for the output");
        if (set is null) return full;
        foreach (string input in set._inputs)
            if (SameFile(full, input)) throw new OutputFileException($"{path} is also an input of this command: writing it would destroy the input — give another output file");
        foreach (PendingFile other in set._files)
            if (SameFile(full, other.Path)) throw new OutputFileException($"{path} is given for two outputs: give each output its own file");
        return full;
    }

    /// <summary>The same file by path, or by device and inode (a hard link, a symbolic link, ./x and x).</summary>
    private static bool SameFile(string a, string b)
    {
        if (string.Equals(System.IO.Path.GetFullPath(a), System.IO.Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)) return true;
        return !OperatingSystem.IsWindows() && Posix.TryStat(a, out FileStatus sa) && Posix.TryStat(b, out FileStatus sb) && sa.SameFileAs(sb);
    }
}

/// <summary>An output that cannot be written where it was asked for: one line saying why.</summary>
public sealed class OutputFileException(string message) : IOException(message);
