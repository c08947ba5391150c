using Losses.Tests.Visualiser;

namespace Losses.Tests.Cli;

/// <summary>
/// What a newcomer meets at the edges of the command line: help for every command (the launcher's
/// own too), outputs whose extension names another type, a folder that is a file, a still past the
/// end, a ring that never appears, misspellings, and which lines carry the `losses:` prefix.
/// </summary>
public class CliEdgeTests
{
    public static TheoryData<string> EveryCommand => new()
    {
        "demo", "render", "frames", "watch", "osc", "live", "recover", "devices", "config", "plugin-preset", "example", "rings",
        "visualise", "web", "bench", "publish", "plugin", "test",
    };

    [Theory]
    [MemberData(nameof(EveryCommand))]
    public void Help_names_every_command_through_the_launcher(string command)
    {
        EngineCli.Outcome o = EngineCli.RunLauncher(null, "help", command);
        Assert.True(o.ExitCode == 0, $"./losses help {command}: exit {o.ExitCode}: {o.Stderr}");
        Assert.Equal("", o.Stderr);
        Assert.StartsWith(command == "bench" ? "usage: losses bench <command>" : $"usage: losses {command}", o.Stdout);
        if (command is not ("bench" or "test"))
            Assert.Equal(o.Stdout, EngineCli.RunLauncher(null, command, "--help").Stdout);
    }

    [Fact]
    public void The_engine_alone_points_help_for_a_launcher_command_to_the_launcher()
    {
        EngineCli.Outcome o = EngineCli.Run("help", "publish");
        Assert.Equal(0, o.ExitCode);
        Assert.Equal("publish is run by the launcher: ./losses help publish (or ./losses publish --help)", o.Stdout.Trim());
    }

    [Fact]
    public void The_command_list_names_publish_for_both_machines_and_its_folder()
    {
        EngineCli.Outcome o = EngineCli.Run("help");
        Assert.Contains("\n  publish [win-x64|linux-x64] [-o DIR]\n", o.Stdout);
    }

    [Theory]
    [InlineData("engine", "unknown command 'rendr': did you mean render? (try: losses help)", "rendr")]
    [InlineData("engine", "unknown command 'visualse': did you mean visualise? (try: losses help)", "visualse")]
    [InlineData("engine", "render: unknown option '--sed': did you mean --seed? (try: losses render --help)", "render", "x.mid", "--sed", "1")]
    [InlineData("engine", "live: unknown option '--midl': did you mean --midi? (try: losses live --help)", "live", "--midl", "piano")]
    [InlineData("visualiser", "visualise: unknown option '--hdu': did you mean --hud? (try: losses visualise --help)", "--hdu")]
    [InlineData("bench", "unknown command 'voice': did you mean voices? (try: losses bench help)", "voice")]
    [InlineData("engine", "unknown command 'zzzzzz' (try: losses help)", "zzzzzz")]
    [InlineData("engine", "render: unknown option '--bogus' (try: losses render --help)", "render", "--bogus")]
    public void A_misspelling_gets_a_suggestion_and_nonsense_gets_none(string program, string message, params string[] args)
    {
        EngineCli.Outcome o = program switch
        {
            "visualiser" => VisualiserKit.Run(args),
            "bench" => EngineCli.RunBench(args),
            _ => EngineCli.Run(args),
        };
        Assert.Equal(2, o.ExitCode);
        Assert.Equal("losses: " + message, o.Stderr.Trim());
    }

    [Theory]
    [InlineData("render", "out.mp3", "losses: render: -o {0}: render writes a WAV (32-bit float): give a name ending in .wav")]
    [InlineData("render", "out.WAV.txt", "losses: render: -o {0}: render writes a WAV (32-bit float): give a name ending in .wav")]
    [InlineData("example", "out.txt", "losses: example: -o {0}: example writes a Standard MIDI File: give a name ending in .mid or .midi")]
    public void An_output_whose_extension_names_another_type_is_refused_and_nothing_is_written(string command, string name, string expected)
    {
        string dir = EngineCli.TempDir();
        string output = Path.Combine(dir, name);
        EngineCli.Outcome o = command == "render" ? EngineCli.Run("render", TestFiles.FourParts, "-o", output) : EngineCli.Run("example", "-o", output);
        Assert.Equal(2, o.ExitCode);
        Assert.Equal(string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, output), o.Stderr.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public void Demo_into_a_file_is_one_line_and_leaves_the_file_alone()
    {
        string dir = EngineCli.TempDir();
        string file = Path.Combine(dir, "notes.txt");
        File.WriteAllText(file, "mine");
        EngineCli.Outcome o = EngineCli.Run("demo", "-o", file);
        Assert.Equal(1, o.ExitCode);
        Assert.Equal($"losses: demo: -o {file} is a file: give a folder (it is created when missing)", o.Stderr.Trim());
        Assert.Equal("mine", File.ReadAllText(file));
        Assert.Equal([file], Directory.GetFileSystemEntries(dir));
    }

    [Fact]
    public void A_still_past_the_end_of_the_frame_log_is_refused()
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 1, toPart4: false));
        double seconds;
        using (var log = Losses.Protocol.FrameLogReader.Open(frames))
            seconds = (double)log.Read(log.Count - 1).SampleTime / log.SampleRate;
        string png = Path.Combine(dir, "late.png");
        EngineCli.Outcome o = VisualiserKit.Run("--frames", frames, "-o", png, "--at", "100", "--size", "160x90");
        Assert.Equal(2, o.ExitCode);
        Assert.Equal(FormattableString.Invariant($"losses: visualise: --at 100 is past the end of {frames} ({seconds:0.000} s): give 0..{Math.Floor(seconds * 1000) / 1000:0.000}"), o.Stderr.Trim());
        Assert.False(File.Exists(png));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp-*"));
        // The end itself is a still.
        Assert.Equal(0, VisualiserKit.Run("--frames", frames, "-o", png, "--at", FormattableString.Invariant($"{seconds:0.000}"), "--size", "160x90").ExitCode);
    }

    [Fact]
    public void Watch_on_a_ring_that_never_appears_exits_1_when_the_timeout_ends()
    {
        string ring = "losses-test-never-" + Environment.ProcessId;
        EngineCli.Outcome o = EngineCli.Run("watch", "--ring", ring, "--timeout", "1");
        Assert.Equal(1, o.ExitCode);
        string[] lines = o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal($"losses: watch: no engine appeared on ring '{ring}' within 1 s: start one (losses live, or losses render IN.mid -o OUT.wav --ring {ring} --realtime), or check the --ring name", lines[^1]);
        Assert.Single(lines, l => l.StartsWith("losses:", StringComparison.Ordinal)); // the waiting line is information
        Assert.Equal("", o.Stdout);
    }

    /// <summary>On a pipe the progress is one line a quarter, 0 to 100 %, and a render's information carries no `losses:` prefix (that is for problems).</summary>
    [Fact]
    public void A_piped_render_reports_0_to_100_percent_and_no_line_looks_like_an_error()
    {
        string dir = EngineCli.TempDir();
        EngineCli.Outcome o = EngineCli.Run("render", TestFiles.FourParts, "-o", Path.Combine(dir, "f.wav"), "--frames", Path.Combine(dir, "f.frames"));
        Assert.True(o.ExitCode == 0, o.Stderr);
        string name = TestFiles.FourParts;
        Assert.Equal(new[] { 0, 25, 50, 75, 100 }.Select(p => $"rendering {name}: {p}%"), o.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("losses:", o.Stdout);
    }
}
