using System.Diagnostics;

namespace Losses.Tests.Plugin;

/// <summary>
/// A CLAP host nobody here wrote: Debian's Qtractor (0.9.31) scans plugins in a process of its own,
/// `qtractor_plugin_scan`, which runs headless (its engine does not here: it needs the ALSA sequencer).
/// </summary>
public class QtractorScanTests
{
    private const string Scanner = "/usr/lib/x86_64-linux-gnu/qtractor/qtractor_plugin_scan";

    [Fact]
    public void Qtractors_scanner_reads_the_clap_plugin_as_one_instrument_with_a_note_input_stereo_out_and_its_parameters()
    {
        var info = new ProcessStartInfo(Scanner) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using Process scan = Process.Start(info)!;
        scan.StandardInput.WriteLine($"CLAP:{PluginBundle.Library}"); // a request a line: TYPE:FILE
        scan.StandardInput.Close();
        string stdout = scan.StandardOutput.ReadToEnd(), stderr = scan.StandardError.ReadToEnd();
        Assert.True(scan.WaitForExit(30_000), "the scanner did not finish");
        Assert.True(scan.ExitCode == 0, stderr);
        // One line a plugin: CLAP|name|audio in:out|MIDI in:out|controls in:out|flags|file|index|id.
        string line = Assert.Single(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        string[] f = line.Split('|');
        Assert.Equal(["CLAP", "Losses", "0:2", "1:0", "4:1"], f[..5]); // four parameters to set, one to read (the allocation meter)
        Assert.Contains("RT", f[5].Split(','));
        Assert.Equal(PluginBundle.Library, f[6]);
        Assert.Equal("0", f[7]);
    }
}
