using System.Globalization;
using System.Text.RegularExpressions;
using Losses.Tests.Cli;

namespace Losses.Tests.Bench;

/// <summary>
/// `bench summary` runs the command each figure names and writes one table with the machine: here only
/// its render part (a quick run of `./losses render` on the JIT engine, timed), for what it writes and
/// how it refuses a part it does not have. The figures themselves are measured on a quiet machine.
/// </summary>
public sealed partial class SummaryTests
{
    [Fact]
    public void The_render_part_times_the_launchers_render_and_writes_the_table_with_the_machine()
    {
        string file = Path.Combine(EngineCli.TempDir(), "summary.md");
        EngineCli.Outcome r = EngineCli.RunBench("summary", "--only", "render", "--quick", "-o", file);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string table = File.ReadAllText(file);
        Assert.Equal(table.TrimEnd(), r.Stdout.TrimEnd());
        Assert.Matches(@"^Machine: .+, \d+ cores, .*; \.NET 10\.", table);
        Match row = RenderRow().Match(table);
        Assert.True(row.Success, table);
        double audio = double.Parse(row.Groups["audio"].Value, CultureInfo.InvariantCulture);
        double seconds = double.Parse(row.Groups["seconds"].Value, CultureInfo.InvariantCulture);
        double factor = double.Parse(row.Groups["factor"].Value, CultureInfo.InvariantCulture);
        Assert.InRange(audio, 38, 40);                              // four-parts.mid, as its WAV says
        Assert.InRange(factor, audio / seconds - 1, audio / seconds + 1); // the factor is the audio over the median
        Assert.DoesNotContain("NativeAOT", table);                  // only the parts asked for
    }

    [Fact]
    public void A_part_it_does_not_have_is_one_line_and_exit_2()
    {
        EngineCli.Outcome r = EngineCli.RunBench("summary", "--only", "render,speed");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("losses: bench summary: --only 'render,speed': each part must be one of render, aot, voices, micro, visuals", r.Stderr.Trim());
    }

    [GeneratedRegex(@"\| render four-parts\.mid \((?<audio>[\d.]+) s of audio\), whole process, JIT engine \| (?<seconds>[\d.]+) s, \*\*(?<factor>\d+)×\*\* real time \(median of 3;")]
    private static partial Regex RenderRow();
}
