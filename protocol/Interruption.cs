using System.Runtime.InteropServices;

namespace Losses.Protocol;

/// <summary>A command stopped before it finished (a signal, a broken ring): one line and its exit code.</summary>
public sealed class StoppedException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM while a command writes files: instead of dying where it stands,
/// the process raises a flag the work loop checks each block, so it stops there, removes every
/// temporary file and exits 128 + the signal's number (130, 143) with one line.
/// </summary>
public sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration? _interrupt, _terminate;
    private volatile string _signal = "";
    private int _code;

    public Interruption()
    {
        if (OperatingSystem.IsWindows())
        {
            Console.CancelKeyPress += OnCancelKey;
            return;
        }
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Request(c, "Ctrl-C (SIGINT)", 130));
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Request(c, "SIGTERM", 143));
    }

    public CancellationToken Token => _stop.Token;

    /// <summary>Throws <see cref="StoppedException"/> once a signal came (for loops that do not take a token).</summary>
    public void ThrowIfRequested()
    {
        if (_stop.IsCancellationRequested) throw Stopped(null);
    }

    /// <summary>Why the work stopped: a ring fault if there is one, else the signal.</summary>
    public StoppedException Stopped(string? fault) => fault is not null
        ? new StoppedException(fault, 1)
        : new StoppedException($"interrupted by {_signal}: stopped, no output written", _code);

    private void Request(PosixSignalContext context, string name, int code)
    {
        context.Cancel = true; // not the default death: the loop stops and cleans up
        _signal = name;
        _code = code;
        _stop.Cancel();
    }

    private void OnCancelKey(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _signal = "Ctrl-C";
        _code = 130;
        _stop.Cancel();
    }

    public void Dispose()
    {
        _interrupt?.Dispose();
        _terminate?.Dispose();
        if (OperatingSystem.IsWindows()) Console.CancelKeyPress -= OnCancelKey;
        _stop.Dispose();
    }
}
