using System.Runtime.InteropServices;

namespace Losses.Engine.Live;

/// <summary>What a key on the performer's terminal asks for.</summary>
internal enum TerminalKey { None, NextPart, Panic, Quit }

/// <summary>
/// The live set's keys, read without allocating. On Linux the terminal is put into non-canonical mode
/// without echo and without ISIG for the set (restored at the end): each byte arrives as typed, and
/// Ctrl-C is the byte 3 — read here as "quit" — rather than a SIGINT, whose dispatch in .NET starts a
/// thread (allocates). Bytes come through poll(2) and read(2) into a preallocated buffer: Console.KeyAvailable
/// and Console.ReadKey allocated now and then (224 bytes in 2 of 3 sets). Elsewhere (Windows) the
/// console's own keys.
/// </summary>
internal sealed unsafe partial class TerminalKeys : IDisposable
{
    // Linux x86-64 / arm64 struct termios: four tcflag_t, c_line, c_cc[32], two speed_t (60 bytes; 64 kept).
    private const int TermiosSize = 64, LocalFlagsOffset = 12, ControlCharsOffset = 17, VTime = 5, VMin = 6;
    private const uint Isig = 0x1, Icanon = 0x2, Echo = 0x8;
    private const int TcsaNow = 0;
    private const short PollIn = 0x1;
    private const byte ControlC = 3;

    private readonly byte* _saved, _buffer;
    private readonly bool _raw;
    private int _length, _next;

    public TerminalKeys()
    {
        if (!OperatingSystem.IsLinux() || isatty(0) != 1) return;
        _saved = (byte*)NativeMemory.AllocZeroed(TermiosSize);
        _buffer = (byte*)NativeMemory.AllocZeroed(64);
        if (tcgetattr(0, _saved) != 0) return;
        byte* raw = stackalloc byte[TermiosSize];
        new ReadOnlySpan<byte>(_saved, TermiosSize).CopyTo(new Span<byte>(raw, TermiosSize));
        *(uint*)(raw + LocalFlagsOffset) &= ~(Isig | Icanon | Echo);
        raw[ControlCharsOffset + VMin] = 1;
        raw[ControlCharsOffset + VTime] = 0;
        _raw = tcsetattr(0, TcsaNow, raw) == 0;
        // Bind poll(2) and read(2) now: a P/Invoke binds on its first call (allocating), and read's first call would be the first key press.
        var none = new PollFd { Fd = -1 };
        poll(&none, 1, 0);
        read(-1, _buffer, 0);
        for (int i = 0; i < 200; i++) Of((byte)i); // promoted by the tiered JIT before the measurement, not during the set
    }

    /// <summary>The next key pressed since the last call, or <see cref="TerminalKey.None"/>; never blocks, never allocates.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // never re-jitted mid-set
    public TerminalKey Next()
    {
        if (!_raw) return NextFromConsole();
        while (true)
        {
            if (_next >= _length)
            {
                var fd = new PollFd { Fd = 0, Events = PollIn };
                if (poll(&fd, 1, 0) <= 0 || (fd.Revents & PollIn) == 0) return TerminalKey.None;
                nint n = read(0, _buffer, 64);
                if (n <= 0) return TerminalKey.None;
                (_length, _next) = ((int)n, 0);
            }
            TerminalKey key = Of(_buffer[_next++]);
            if (key != TerminalKey.None) return key;
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // never re-jitted mid-set
    private static TerminalKey Of(byte b) => b switch
    {
        (byte)'n' or (byte)'N' => TerminalKey.NextPart,
        (byte)'p' or (byte)'P' => TerminalKey.Panic,
        (byte)'q' or (byte)'Q' or ControlC => TerminalKey.Quit,
        _ => TerminalKey.None,
    };

    private static TerminalKey NextFromConsole()
    {
        if (Console.IsInputRedirected || !Console.KeyAvailable) return TerminalKey.None;
        ConsoleKeyInfo k = Console.ReadKey(intercept: true);
        return (k.Modifiers & ConsoleModifiers.Control) != 0 && k.Key == ConsoleKey.C ? TerminalKey.Quit : Of((byte)k.KeyChar);
    }

    /// <summary>The terminal as it was (echo, line editing, Ctrl-C); safe to call twice (the set ends it early, `using` again).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_raw) tcsetattr(0, TcsaNow, _saved);
        if (_saved != null) NativeMemory.Free(_saved);
        if (_buffer != null) NativeMemory.Free(_buffer);
    }

    private bool _disposed;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc")] private static partial int isatty(int fd);
    [LibraryImport("libc")] private static partial int tcgetattr(int fd, byte* termios);
    [LibraryImport("libc")] private static partial int tcsetattr(int fd, int action, byte* termios);
    [LibraryImport("libc")] private static partial int poll(PollFd* fds, nuint count, int timeoutMs);
    [LibraryImport("libc")] private static partial nint read(int fd, byte* buffer, nint count);
}
