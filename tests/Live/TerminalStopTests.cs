using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Losses.Tests.Protocol;
using Xunit.Abstractions;

namespace Losses.Tests.Live;

/// <summary>
/// A live set on a pseudo-terminal, as a performer runs it: keys pressed (n, p), then stopped by
/// Ctrl-C on the terminal or by a signal. The engine allocates nothing after warm-up up to the stop
/// — to the key itself for keys and Ctrl-C, to the stop request's margin for a signal — on a JACK
/// dummy server of the tests' own. `script` (util-linux) gives the engine its terminal.
/// </summary>
[Collection("jack")]
public partial class TerminalStopTests(JackServer server, ITestOutputHelper output)
{
    private sealed class TerminalSet : IDisposable
    {
        private readonly Process _script;
        private readonly StringBuilder _said = new();
        private readonly Task _reading;

        public TerminalSet(string client, string ring)
        {
            string engine = Path.Combine(AppContext.BaseDirectory, "losses-engine.dll");
            var start = new ProcessStartInfo("script") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            // perl (Debian's essential perl-base) sets SIGINT back to its default before the engine starts:
            // a test run started in the background inherits SIGINT ignored, and so would the engine.
            foreach (string a in new[] { "-qfec", $"exec perl -e '$SIG{{INT}} = \"DEFAULT\"; exec @ARGV' dotnet '{engine}' live --no-connect --client {client} --ring {ring}", "/dev/null" })
                start.ArgumentList.Add(a);
            _script = Process.Start(start)!;
            _reading = Task.Run(async () =>
            {
                var buffer = new char[4096];
                int n;
                while ((n = await _script.StandardOutput.ReadAsync(buffer)) > 0)
                    lock (_said) _said.Append(buffer, 0, n);
            });
        }

        public string Said { get { lock (_said) return _said.ToString(); } }

        /// <summary>Waits until the terminal shows <paramref name="text"/>.</summary>
        public void WaitFor(string text, double seconds = 60)
        {
            var clock = Stopwatch.StartNew();
            while (!Said.Contains(text, StringComparison.Ordinal))
            {
                if (clock.Elapsed.TotalSeconds > seconds || _script.HasExited) Assert.Fail($"the terminal never showed '{text}':\n{Said}");
                Thread.Sleep(50);
            }
        }

        /// <summary>Types on the terminal, as a performer does.</summary>
        public void Type(string keys)
        {
            _script.StandardInput.Write(keys);
            _script.StandardInput.Flush();
        }

        /// <summary>The set's end: its exit code and everything the terminal showed.</summary>
        public (int Exit, string Said) Finish()
        {
            Assert.True(_script.WaitForExit(TimeSpan.FromSeconds(60)), "the engine did not end:\n" + Said);
            _reading.Wait(TimeSpan.FromSeconds(10));
            return (_script.ExitCode, Said);
        }

        public void Dispose()
        {
            if (!_script.HasExited) _script.Kill(entireProcessTree: true);
            _script.Dispose();
        }
    }

    /// <summary>Starts the set, waits past its warm-up (2 s of audio), presses n, p and n a beat apart, and waits until the part shows 3.</summary>
    private static TerminalSet PlayKeys(string client, string ring)
    {
        var set = new TerminalSet(client, ring);
        set.WaitFor("keys: [n] next part");
        set.WaitFor("frames ");               // the status line runs
        Thread.Sleep(3000);                   // past the warm-up: the measurement has started
        foreach (char key in "npn")
        {
            set.Type(key.ToString());
            Thread.Sleep(400);
        }
        set.WaitFor("part 3");                // two next-part presses arrived
        Thread.Sleep(500);
        return set;
    }

    [Fact]
    public void Keys_then_ctrl_c_on_the_terminal_allocate_nothing_to_the_end_of_the_set()
    {
        _ = server;
        string client = $"tty{Environment.ProcessId}";
        using var ring = new TestRing();
        using TerminalSet set = PlayKeys(client, ring.Name);
        set.Type("\u0003"); // Ctrl-C as the terminal sends it
        var (exit, said) = set.Finish();
        output.WriteLine(said);
        Assert.Equal(0, exit);
        Assert.Matches(SteadyStateZero(), said);
        Assert.DoesNotContain("before the stop signal", said); // measured to the very end, not to a margin
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public void Keys_then_a_stop_signal_allocate_nothing_up_to_the_stop_request(string signal)
    {
        _ = server;
        string client = $"sig{signal}{Environment.ProcessId}";
        using var ring = new TestRing();
        using TerminalSet set = PlayKeys(client, ring.Name);
        int pid = EnginePid(ring.Name);
        using (Process kill = Process.Start("kill", [$"-{signal}", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
        var (exit, said) = set.Finish();
        output.WriteLine(said);
        Assert.Equal(0, exit);
        Assert.Matches(SteadyStateZero(), said);
        Assert.Contains("allocated bytes 0 (to 0.20 s before the stop signal", said);
    }

    /// <summary>The engine's process: the dotnet whose command line names this test's ring.</summary>
    private static int EnginePid(string ring)
    {
        foreach (string dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            string cmdline;
            try { cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' '); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (cmdline.StartsWith("dotnet ", StringComparison.Ordinal) && (cmdline + " ").Contains($" --ring {ring} ", StringComparison.Ordinal)) return pid;
        }
        throw new InvalidOperationException($"no engine process for ring {ring}");
    }

    [GeneratedRegex(@"steady state since warm-up: gc collections 0/0/0 \(gen0/1/2\), allocated bytes 0\b")]
    private static partial Regex SteadyStateZero();
}
