using System.Runtime.InteropServices;

namespace Losses.Engine.Live;

/// <summary>Ctrl-C and SIGTERM end the session cleanly (the recording is written).</summary>
internal sealed class StopSignal
{
    private int _requested;

    /// <summary>Kept alive for the session: the SIGTERM handler lives as long as its registration.</summary>
    public PosixSignalRegistration? Term { get; }

    public StopSignal()
    {
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; Request(); };
        if (!OperatingSystem.IsWindows())
            Term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; Request(); });
    }

    public bool Requested => Volatile.Read(ref _requested) != 0;
    public void Request() => Volatile.Write(ref _requested, 1);
}
