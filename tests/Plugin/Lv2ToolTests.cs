using Xunit.Abstractions;

namespace Losses.Tests.Plugin;

/// <summary>Debian's LV2 tools (lilv-utils) read and run the bundle as any host would.</summary>
public class Lv2ToolTests(ITestOutputHelper output)
{
    [Fact]
    public void Lv2info_reads_the_bundle_its_binary_and_every_port()
    {
        output.WriteLine($"NativeAOT build of the bundle (this run): {PluginBundle.BuildTime.TotalSeconds:F0} s");
        PluginBundle.Outcome r = PluginBundle.RunTool("lv2info", PluginBundle.Uri);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Contains($"Binary:            file://{PluginBundle.Library}", r.Stdout);
        Assert.Contains("Required Features: http://lv2plug.in/ns/ext/urid#map", r.Stdout);
        Assert.Contains("Class:             Instrument Plugin\n", r.Stdout); // lv2:InstrumentPlugin, as hosts file it
        Assert.Contains("http://lv2plug.in/ns/ext/state#interface", r.Stdout); // Extension Data
        Assert.Contains("http://lv2plug.in/ns/ext/state#threadSafeRestore", r.Stdout); // Optional Features
        string[] symbols = ["midi_in", "out_left", "out_right", "part", "seed", "gain", "ring", "new_target", "panic", "loss", "current_part", "allocated_bytes"];
        for (int i = 0; i < symbols.Length; i++)
        {
            int at = r.Stdout.IndexOf($"Port {i}:", StringComparison.Ordinal);
            Assert.True(at >= 0, $"no port {i} in:\n{r.Stdout}");
            Assert.Contains($"Symbol:      {symbols[i]}\n", r.Stdout[at..]);
        }
        Assert.Contains("http://lv2plug.in/ns/ext/atom#AtomPort", r.Stdout);
        Assert.DoesNotContain("Port 12:", r.Stdout);
    }

    [Fact]
    public void Lv2bench_instantiates_activates_and_runs_it()
    {
        PluginBundle.Outcome r = PluginBundle.RunTool("lv2bench", "-b", "512", "-n", "96000", PluginBundle.Uri);
        output.WriteLine(r.Stdout + r.Stderr);
        Assert.True(r.ExitCode == 0, r.Stderr);
        // One line per plugin benched: seconds, then the URI (a plugin that failed to load is left out).
        string line = Assert.Single(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.EndsWith(PluginBundle.Uri, StringComparison.Ordinal));
        Assert.True(double.TryParse(line.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out double seconds) && seconds > 0, line);
        Assert.DoesNotContain("losses:", r.Stderr);
    }
}
