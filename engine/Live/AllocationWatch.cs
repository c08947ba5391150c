using System.Globalization;
using System.Runtime;

namespace Losses.Engine.Live;

/// <summary>
/// When the steady state is broken — bytes allocated after warm-up — says when and what else changed
/// then: methods the JIT compiled (a tier-up or a first call), threads the thread pool started, xruns
/// and the threads of the process that were not there at warm-up. Every poll reads counters only
/// (no allocation); the threads are listed at the end, after the measurement.
/// </summary>
internal sealed class AllocationWatch
{
    private long _lastBytes, _lastJitted;
    private long _baseJitted, _baseXruns;
    private int _baseThreadPool;
    private HashSet<string> _threadsAtBaseline = [];
    private bool _seen;
    private double _atSeconds;
    private long _firstBytes, _jittedBefore, _jittedThen, _xrunsThen;
    private int _threadPoolThen;
    private long _jittedAfter;

    /// <summary>At warm-up's end, before the baseline's bytes are read (this allocates).</summary>
    public void Prepare()
    {
        _threadsAtBaseline = ThreadNames();
        Poll(0, 0, 0); // compiled now, not after the baseline
        Poll(1, 0, 0);
        _seen = false;
    }

    /// <summary>With the baseline: the counters the polls compare against.</summary>
    public void Baseline(long bytes, long xruns)
    {
        _lastBytes = bytes;
        _baseJitted = _lastJitted = JitInfo.GetCompiledMethodCount();
        _baseThreadPool = ThreadPool.ThreadCount;
        _baseXruns = xruns;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)] // never re-jitted mid-set
    public void Poll(long bytes, double seconds, long xruns)
    {
        long jitted = JitInfo.GetCompiledMethodCount();
        if (!_seen && bytes != _lastBytes)
        {
            _seen = true;
            _atSeconds = seconds;
            _firstBytes = bytes - _lastBytes;
            _jittedBefore = _lastJitted - _baseJitted;
            _jittedThen = jitted - _lastJitted;
            _threadPoolThen = ThreadPool.ThreadCount;
            _xrunsThen = xruns;
        }
        _lastBytes = bytes;
        _lastJitted = jitted;
        _jittedAfter = jitted - _baseJitted;
    }

    /// <summary>One line on the first allocation after warm-up, or null when there was none.</summary>
    public string? Describe()
    {
        if (!_seen) return null;
        var added = ThreadNames();
        added.ExceptWith(_threadsAtBaseline);
        string threads = added.Count == 0 ? "none" : string.Join(", ", added.Order(StringComparer.Ordinal));
        return string.Create(CultureInfo.InvariantCulture,
            $"  first allocation after warm-up: {_firstBytes} bytes in the poll ending at {_atSeconds:0.00} s; methods compiled since warm-up {_jittedBefore} before it, {_jittedThen} in it, {_jittedAfter} in all; thread-pool threads {_baseThreadPool} -> {_threadPoolThen}; xruns {_baseXruns} -> {_xrunsThen}; threads started since warm-up: {threads}");
    }

    /// <summary>The process's threads as "name (tid)", from /proc/self/task (Linux; empty elsewhere).</summary>
    private static HashSet<string> ThreadNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (!OperatingSystem.IsLinux()) return names;
        try
        {
            foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try { names.Add($"{File.ReadAllText(Path.Combine(task, "comm")).Trim()} ({Path.GetFileName(task)})"); }
                catch (IOException) { } // the thread ended meanwhile
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return names;
    }
}
