using Microsoft.Win32.SafeHandles;

namespace Losses.Platform;

/// <summary>
/// An append-only file for a live recording's journals: a preallocated buffer handed to the OS
/// by <see cref="Flush()"/> with positioned writes on the raw handle. FileStream's own flush
/// allocated on Windows (a few dozen bytes, now and then, seen under Wine): a live engine process
/// must allocate nothing in steady state, so the journals bypass it.
/// </summary>
public sealed class JournalFile : Stream
{
    private readonly SafeFileHandle _handle;
    private readonly byte[] _buffer;
    private int _pending;
    private long _written;

    public JournalFile(string path, int bufferSize = 1 << 16)
    {
        _handle = OperatingSystem.IsWindows() ? File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read) : OpenHere(path);
        _buffer = new byte[bufferSize];
    }

    /// <summary>
    /// Created or emptied in place, never through a symbolic link (a link planted in the recording
    /// folder would have the set written, and first emptied, outside it), and only as a regular file.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static SafeFileHandle OpenHere(string path)
    {
        SafeFileHandle file = Posix.Open(path, Posix.WriteOnly | Posix.Create | Posix.Truncate | Posix.NoFollow | Posix.NonBlocking, 0b110_100_100, out int errno);
        if (file.IsInvalid)
        {
            file.Dispose();
            if (errno == Posix.ELOOP) throw new IOException($"{path} is a symbolic link: a recording's journal is never written through one — remove it");
            throw new IOException($"cannot write {path}: {new System.ComponentModel.Win32Exception(errno).Message}");
        }
        if (!Posix.TryStat(file, out FileStatus status) || !status.IsRegular)
        {
            file.Dispose();
            throw new IOException($"{path} is {status.Kind}, not a regular file: a recording's journal is written only as one — remove it");
        }
        return file;
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _written + _pending;
    public override long Position { get => Length; set => throw new NotSupportedException(); }

    public override void Write(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            if (_pending == _buffer.Length) WriteOut();
            int n = Math.Min(bytes.Length, _buffer.Length - _pending);
            bytes[..n].CopyTo(_buffer.AsSpan(_pending));
            _pending += n;
            bytes = bytes[n..];
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <summary>Hands what is buffered to the OS: it survives the process being killed.</summary>
    public override void Flush() => WriteOut();

    /// <summary>Also to the disk: it survives the machine losing power.</summary>
    public void FlushToDisk()
    {
        WriteOut();
        RandomAccess.FlushToDisk(_handle);
    }

    private void WriteOut()
    {
        if (_pending == 0) return;
        RandomAccess.Write(_handle, new ReadOnlySpan<byte>(_buffer, 0, _pending), _written);
        _written += _pending;
        _pending = 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_handle.IsClosed)
        {
            try { WriteOut(); }
            finally { _handle.Dispose(); }
        }
        base.Dispose(disposing);
    }
}
