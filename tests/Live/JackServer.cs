using System.Diagnostics;

namespace Losses.Tests.Live;

/// <summary>
/// A real JACK server for the live tests: `jackd -n NAME -d dummy -r 48000 -p 64`, always our own
/// (a server someone else runs may have other clients, another period, or be stopped under us).
/// The fixture's server becomes this process's default (JACK_DEFAULT_SERVER), so test clients and
/// the engines the tests start reach it without naming it.
/// </summary>
public sealed class JackServer : IDisposable
{
    private readonly Process _started;

    public JackServer() : this($"losses-test-{Environment.ProcessId}")
    {
        // Both environments: .NET's copy (inherited by the engines the tests start) and the C
        // library's (read by libjack inside this process, which .NET's setter does not touch).
        Environment.SetEnvironmentVariable("JACK_DEFAULT_SERVER", Name);
        if (setenv("JACK_DEFAULT_SERVER", Name, 1) != 0) throw new InvalidOperationException("setenv failed");
    }

    [System.Runtime.InteropServices.DllImport("libc", CharSet = System.Runtime.InteropServices.CharSet.Ansi)]
    private static extern int setenv(string name, string value, int overwrite);

    private JackServer(string name)
    {
        Name = name;
        var info = new ProcessStartInfo("jackd") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-n");
        info.ArgumentList.Add(name);
        foreach (string a in new[] { "-d", "dummy", "-r", "48000", "-p", "64" }) info.ArgumentList.Add(a);
        _started = Process.Start(info) ?? throw new InvalidOperationException("could not start jackd (apt-get install jackd2)");
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        _started.OutputDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        _started.ErrorDataReceived += (_, e) => { if (e.Data is not null) log.Enqueue(e.Data); };
        _started.BeginOutputReadLine();
        _started.BeginErrorReadLine();
        var clock = Stopwatch.StartNew();
        while (!Responds(name))
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(15) || _started.HasExited)
                throw new InvalidOperationException($"jackd did not come up: {string.Join(" | ", log.TakeLast(5))}");
            Thread.Sleep(50);
        }
    }

    /// <summary>A second, named server of our own (so a test may kill it).</summary>
    public static JackServer StartNamed(string name) => new(name);

    public string Name { get; }

    /// <summary>Stops the server with SIGTERM, as an operator would: a SIGKILLed jackd leaves its
    /// registration in shared memory, and JACK refuses new servers once enough have piled up.</summary>
    public void Kill()
    {
        if (_started.HasExited) return;
        Terminate(_started);
    }

    public static void Terminate(Process p)
    {
        using (Process? kill = Process.Start(new ProcessStartInfo("kill", $"-TERM {p.Id}") { UseShellExecute = false }))
            kill?.WaitForExit(5000);
        if (!p.WaitForExit(10_000)) p.Kill();
    }

    public static bool Responds(string? name)
    {
        var info = new ProcessStartInfo("jack_lsp") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (name is not null) info.Environment["JACK_DEFAULT_SERVER"] = name;
        info.Environment["JACK_NO_START_SERVER"] = "1";
        try
        {
            using Process p = Process.Start(info)!;
            p.StandardOutput.ReadToEnd();
            p.WaitForExit(5000);
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    public void Dispose() => Kill();
}

/// <summary>
/// The live sets on a real JACK server run with no other collection beside them: they measure
/// allocation and timing, and a browser or a NativeAOT build taking both cores made the dummy
/// driver's cycles late (10 xruns in a 5 s set).
/// </summary>
[CollectionDefinition("jack", DisableParallelization = true)]
public sealed class JackCollection : ICollectionFixture<JackServer>;
