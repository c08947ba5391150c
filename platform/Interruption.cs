using System.Runtime.InteropServices;

namespace Losses.Platform;

/// <summary>A command stopped before it finished (a signal, a broken ring): one line and its exit code.</summary>
public sealed class StoppedException(string message, int exitCode) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM while a command writes files: instead of dying where it stands,
/// the process raises a flag the work loop checks each block, so it stops there, removes every
/// temporary file and exits 128 + the signal's number (130, 143) with one line. A process that
/// waits on something that never answers still ends: a second signal takes its default course at
/// once, and a command that has not stopped <see cref="GraceSeconds"/> after the first is ended.
/// </summary>
public sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration? _interrupt, _terminate;
    private volatile string _signal = "";
    private int _code;
    private Timer? _deadline;

    /// <summary>How long a command has to stop and clean up after a signal before it is ended where it stands.</summary>
    public const int GraceSeconds = 10;

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
        if (_stop.IsCancellationRequested) return; // a second signal: its default course (the process ends now)
        context.Cancel = true; // not the default death: the loop stops and cleans up
        _signal = name;
        _code = code;
        _deadline = new Timer(_ =>
        {
            Console.Error.WriteLine($"losses: interrupted by {name}: still waiting {GraceSeconds} s later (on a file, pipe or device that does not answer): ended");
            Environment.Exit(code);
        }, null, GraceSeconds * 1000, Timeout.Infinite);
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
        _deadline?.Dispose();
        _interrupt?.Dispose();
        _terminate?.Dispose();
        if (OperatingSystem.IsWindows()) Console.CancelKeyPress -= OnCancelKey;
        _stop.Dispose();
    }
}
