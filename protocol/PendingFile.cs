namespace Losses.Protocol;

/// <summary>
/// A file written under a temporary name beside its target and moved into place only when
/// complete: a failed or interrupted write never leaves a half-written file under the real name.
/// </summary>
public sealed class PendingFile : IDisposable
{
    private bool _committed;

    public PendingFile(string path, int bufferSize = 1 << 16)
    {
        Path = System.IO.Path.GetFullPath(path);
        TempPath = Path + $".tmp-{Environment.ProcessId}";
        Stream = new FileStream(TempPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize);
    }

    public string Path { get; }
    public string TempPath { get; }
    public FileStream Stream { get; }

    /// <summary>Flushes to disk and moves the file into place.</summary>
    public void Commit()
    {
        Stream.Flush(flushToDisk: true);
        Stream.Dispose();
        File.Move(TempPath, Path, overwrite: true);
        _committed = true;
    }

    /// <summary>Without a <see cref="Commit"/>, the temporary file is removed.</summary>
    public void Dispose()
    {
        Stream.Dispose();
        if (!_committed) File.Delete(TempPath);
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var file = new PendingFile(path);
        file.Stream.Write(bytes);
        file.Commit();
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
}
