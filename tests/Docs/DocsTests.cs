using System.Diagnostics;
using System.Text.RegularExpressions;
using Losses.Tests.Cli;

namespace Losses.Tests.Docs;

/// <summary>
/// The README and docs/ say what the programs do: every example marked runnable runs as written,
/// and the README's command reference lists exactly the options each command's help prints.
/// </summary>
public partial class DocsTests
{
    /// <summary>The fence that marks an example the tests run: ```sh runnable … ```.</summary>
    private const string RunnableFence = "```sh runnable";

    public static TheoryData<string> Documents()
    {
        var files = new TheoryData<string> { "README.md" };
        foreach (string f in Directory.GetFiles(Path.Combine(TestFiles.RepositoryRoot, "docs"), "*.md").Order(StringComparer.Ordinal))
            files.Add(Path.GetRelativePath(TestFiles.RepositoryRoot, f));
        return files;
    }

    /// <summary>The runnable blocks of one document, in order (they may build on each other's files).</summary>
    private static List<string> RunnableBlocks(string text)
    {
        var blocks = new List<string>();
        foreach (Match m in Fenced().Matches(text))
            if (m.Groups["info"].Value.Trim() == RunnableFence[3..]) blocks.Add(m.Groups["body"].Value);
        return blocks;
    }

    [Fact]
    public void The_readme_has_runnable_examples_and_stays_under_500_lines()
    {
        string readme = File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "README.md"));
        Assert.True(RunnableBlocks(readme).Count >= 2, "the README's runnable examples are gone (or their fence changed)");
        int lines = readme.Split('\n').Length;
        Assert.True(lines <= 500, $"README.md has {lines} lines: move detail into docs/");
    }

    /// <summary>
    /// Runs each runnable block of the document with bash -e in a fresh folder where ./losses is the
    /// repository's launcher and examples/ and tests/ are the repository's: each ends with exit 0 and
    /// no `losses:` line (an error or a warning) on stderr.
    /// </summary>
    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_runnable_example_runs_as_written(string document)
    {
        List<string> blocks = RunnableBlocks(File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, document)));
        if (blocks.Count == 0) return; // a document without runnable examples has nothing to run
        string dir = EngineCli.TempDir();
        string launcher = Path.Combine(dir, "losses");
        File.WriteAllText(launcher, $"#!/bin/sh\nexec bash '{Path.Combine(TestFiles.RepositoryRoot, "losses")}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (string folder in new[] { "examples", "tests" })
            Directory.CreateSymbolicLink(Path.Combine(dir, folder), Path.Combine(TestFiles.RepositoryRoot, folder));
        foreach (string block in blocks)
        {
            var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
            start.ArgumentList.Add("-e");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(block);
            EngineCli.Outcome o = EngineCli.Wait(start, $"{document}: {block}");
            Assert.True(o.ExitCode == 0, $"{document}: exit {o.ExitCode} from\n{block}\nstderr:\n{o.Stderr}");
            string[] problems = o.Stderr.Split('\n').Where(l => l.StartsWith("losses:", StringComparison.Ordinal)).ToArray();
            Assert.True(problems.Length == 0, $"{document}: the example\n{block}\nsaid:\n{string.Join('\n', problems)}");
        }
    }

    /// <summary>
    /// The README's command reference against each command's help, through the launcher
    /// (`./losses help COMMAND`, as a person asks): every option listed is in the help, and every
    /// option the help prints is listed.
    /// </summary>
    [Fact]
    public void The_readme_command_reference_lists_exactly_the_options_of_each_commands_help()
    {
        string readme = File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "README.md"));
        string block = readme[readme.IndexOf("## Command reference", StringComparison.Ordinal)..];
        block = block[(block.IndexOf("```", StringComparison.Ordinal) + 3)..];
        block = block[..block.IndexOf("```", StringComparison.Ordinal)];

        // One entry per command: "render", "bench voices"; continuation lines belong to the command above.
        var listed = new List<(string Command, HashSet<string> Options)>();
        foreach (string raw in block.Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith("./losses ", StringComparison.Ordinal))
            {
                string[] words = line.Split(' ');
                string name = words[1] == "bench" ? $"bench {words[2]}" : words[1];
                listed.Add((name, []));
                line = string.Join(' ', words.Skip(words[1] == "bench" ? 3 : 2));
            }
            if (listed.Count == 0) continue;
            foreach (Match m in Option().Matches(line)) listed[^1].Options.Add(m.Value);
        }
        string[] expected = ["demo", "render", "live", "recover", "devices", "frames", "watch", "osc", "config", "plugin-preset", "example", "rings",
            "visualise", "web", "bench voices", "bench micro", "bench ring", "bench dsp", "bench web", "bench summary", "publish", "plugin", "test", "help"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), listed.Select(l => l.Command).Order(StringComparer.Ordinal));

        foreach (var (command, options) in listed.Where(l => l.Command != "help"))
        {
            EngineCli.Outcome o = EngineCli.RunLauncher(null, ["help", .. command.Split(' ')]);
            Assert.True(o.ExitCode == 0, $"./losses help {command}: exit {o.ExitCode}: {o.Stderr}");
            Assert.StartsWith($"usage: losses {command}", o.Stdout);
            // One row per option; its names ("-o, --output") are one option: the README may give any of them.
            var rows = HelpRow().Matches(o.Stdout).Select(row => Option().Matches(row.Groups["label"].Value).Select(m => m.Value).ToHashSet())
                .Where(names => !names.Contains("--help")).ToList();
            Assert.True(rows.Count > 0 || command is "devices" or "recover", $"no options read from the help of {command}:\n{o.Stdout}");
            foreach (string option in options)
                Assert.True(rows.Exists(names => names.Contains(option)), $"{command}: the README lists {option} but its help does not:\n{o.Stdout}");
            foreach (HashSet<string> names in rows)
                Assert.True(names.Overlaps(options), $"{command}: its help has {string.Join(", ", names)} but the README's line does not");
        }
    }

    [GeneratedRegex(@"(?<![\w-])--?[a-z][a-z-]*")]
    private static partial Regex Option();

    /// <summary>A row of a command's option table: two spaces, the label, two or more spaces, its help.</summary>
    [GeneratedRegex(@"^  (?<label>-\S.*?)(?:\s{2,}|$)", RegexOptions.Multiline)]
    private static partial Regex HelpRow();

    [GeneratedRegex(@"^```(?<info>[^\n]*)\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fenced();
}
