using System.Runtime.InteropServices;

namespace Losses.Engine.Live;

/// <summary>Ctrl-C (SIGINT) and SIGTERM end the session cleanly (the recording is written).</summary>
internal sealed partial class StopSignal
{
    private int _requested, _armed, _seen;

    /// <summary>Kept alive for the session: the SIGTERM handler lives as long as its registration.</summary>
    public PosixSignalRegistration? Term { get; }

    public StopSignal()
    {
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; Request(); };
        if (!OperatingSystem.IsWindows())
            Term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; Request(); });
    }

    public bool Requested => Volatile.Read(ref _requested) != 0;
    public void Request()
    {
        Interlocked.Increment(ref _seen);
        if (Volatile.Read(ref _armed) != 0) Volatile.Write(ref _requested, 1);
    }

    /// <summary>
    /// Before the set: sends this process a SIGTERM and a SIGINT while the handlers only count them, so
    /// .NET's dispatch of a signal (its native thread's first entry into managed code, the handlers'
    /// compilation) has happened before the allocation measurement starts; a stop signal mid-set then
    /// reaches the handler quickly. Then the handlers stop the set.
    /// </summary>
    public void WarmUpAndArm()
    {
        if (OperatingSystem.IsLinux())
        {
            int self = Environment.ProcessId;
            ulong ignored = IgnoredSignals();
            foreach (int signal in new[] { 15, 2 }) // SIGTERM, SIGINT
            {
                if ((ignored & (1UL << (signal - 1))) != 0) continue; // inherited as ignored (a background job): never delivered
                int before = Volatile.Read(ref _seen);
                if (kill(self, signal) != 0) continue;
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (Volatile.Read(ref _seen) == before && clock.ElapsedMilliseconds < 2000) Thread.Sleep(5);
            }
        }
        Volatile.Write(ref _armed, 1);
    }

    /// <summary>The signals this process ignores (/proc/self/status SigIgn), 0 when unknown.</summary>
    private static ulong IgnoredSignals()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
                    return ulong.Parse(line.AsSpan(7).Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException) { }
        catch (FormatException) { }
        return 0;
    }

    [LibraryImport("libc")] private static partial int kill(int pid, int signal);
}
