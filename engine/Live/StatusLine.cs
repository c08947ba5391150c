using System.Globalization;
using System.Runtime.InteropServices;
using Losses.Engine.Audio;

namespace Losses.Engine.Live;

/// <summary>
/// One status line, formatted into a preallocated buffer (no allocation while live). On Linux the
/// line goes to stderr by write(2) from a preallocated byte buffer: Console.Error's writer allocated
/// now and then on a terminal (32 bytes to 6 KB over a set).
/// </summary>
internal sealed partial class StatusLine
{
    private readonly char[] _buffer = new char[160];
    private readonly byte[] _bytes = new byte[160];
    private long _lastMs;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // never re-jitted mid-set
    public void Show(LossesProcessor p, LiveCore core, long xruns, long frames)
    {
        long now = Environment.TickCount64;
        if (now - _lastMs < 200) return;
        _lastMs = now;
        Write(Format(p, core, xruns, frames));
    }

    /// <summary>
    /// Before the set: formats the line enough times that the runtime's tiered compilation has
    /// promoted the formatting code (the framework's own included) before the allocation
    /// measurement starts — a method re-jitted mid-set was seen to allocate (32 B to 6 KB) — and
    /// binds write(2) (a P/Invoke binds on its first call, allocating).
    /// </summary>
    public unsafe void Warm(LossesProcessor p, LiveCore core)
    {
        for (int i = 0; i < 200; i++) Format(p, core, i, i);
        if (OperatingSystem.IsLinux())
            fixed (byte* b = _bytes) write(2, b, 0);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // never re-jitted mid-set
    private int Format(LossesProcessor p, LiveCore core, long xruns, long frames)
    {
        Span<char> b = _buffer;
        int n = 0;
        Append(b, ref n, "\rpart ");
        p.Piece.Part.TryFormat(b[n..], out int w, default, CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "  voices ");
        p.Voices.ActiveVoices.TryFormat(b[n..], out w, "000", CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "  loss ");
        p.Piece.Loss.TryFormat(b[n..], out w, "0.000000", CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "  dsp ");
        (core.Meter.Last * 100).TryFormat(b[n..], out w, "00.0", CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "%  xruns ");
        xruns.TryFormat(b[n..], out w, default, CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "  frames ");
        frames.TryFormat(b[n..], out w, default, CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "   ");
        return n;
    }

    public void Clear()
    {
        _buffer[0] = '\n';
        Write(1);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // never re-jitted mid-set
    private unsafe void Write(int n)
    {
        if (!OperatingSystem.IsLinux())
        {
            Console.Error.Write(_buffer, 0, n);
            return;
        }
        for (int i = 0; i < n; i++) _bytes[i] = _buffer[i] < 128 ? (byte)_buffer[i] : (byte)'?'; // the line is ASCII
        fixed (byte* p = _bytes)
            for (int done = 0; done < n;)
            {
                nint w = write(2, p + done, n - done);
                if (w <= 0) return; // a status line that cannot be written is not worth stopping the set for
                done += (int)w;
            }
    }

    [LibraryImport("libc")] private static unsafe partial nint write(int fd, byte* buffer, nint count);

    private static void Append(Span<char> b, ref int n, string s)
    {
        s.AsSpan().CopyTo(b[n..]);
        n += s.Length;
    }
}
