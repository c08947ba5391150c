using Losses.Tests.Cli;

namespace Losses.Tests.Web;

/// <summary>`losses web`'s mistakes: one `losses:` line, the project's exit codes (2 for the command line, 1 for the work), nothing served.</summary>
[Collection("web")]
public sealed class WebServerCliTests
{
    private static EngineCli.Outcome Web(params string[] args) => EngineCli.RunProgram(WebServerProcess.Dll, new Dictionary<string, string>(), args);

    [Theory]
    [InlineData("--bind", "nowhere", "is not an IP address")]
    [InlineData("--port", "70000", "--port")]
    [InlineData("--frobnicate", null, "unknown option")]
    public void A_bad_command_line_is_one_line_and_exit_2(string option, string? value, string says)
    {
        var r = value is null ? Web(option) : Web(option, value);
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("losses: ", r.Stderr);
        Assert.Contains(says, r.Stderr);
        Assert.Single(r.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Udp_and_a_frame_log_at_once_are_refused()
    {
        var r = Web("--listen", "9000", "--frames", "x.frames");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("one of --ring, --listen and --frames", r.Stderr);
    }

    [Fact]
    public void A_port_another_program_holds_is_one_line_naming_it_and_exit_1()
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        int port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var r = Web("--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--duration", "5");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains($"cannot serve on 127.0.0.1:{port}", r.Stderr);
        Assert.Single(r.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void A_missing_frame_log_is_one_line_and_exit_1()
    {
        var r = Web("--frames", Path.Combine(EngineCli.TempDir(), "none.frames"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("none.frames", r.Stderr);
        Assert.Single(r.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void It_stops_by_itself_after_duration_and_says_what_it_served()
    {
        var r = Web("--port", "0", "--ring", "nosuch-" + Guid.NewGuid().ToString("N")[..8], "--duration", "1");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"^open http://127\.0\.0\.1:\d+/ in a browser", r.Stdout);
        Assert.Contains("served 0 frames", r.Stdout);
    }
}
