using System.Net;
using System.Net.Sockets;
using Losses.Tests.Cli;
using Losses.Tests.Visualiser;

namespace Losses.Tests.Osc;

/// <summary>Wrong OSC options and a UDP port another program holds: one `losses:` line, the right exit code, nothing made.</summary>
public class OscCliErrorTests
{
    [Theory]
    [InlineData("losses: osc: give at least one --to HOST:PORT (or --ldd for the original's programs)")]
    [InlineData("losses: osc: 'localhost' is not HOST:PORT (e.g. 127.0.0.1:9000)", "--to", "localhost")]
    [InlineData("losses: osc: '127.0.0.1:70000': the port must be 1..65535", "--to", "127.0.0.1:70000")]
    [InlineData("losses: osc: --rate must be a number of Hz in 0..100000 (0: every frame), not 'fast'", "--to", "127.0.0.1:9000", "--rate", "fast")]
    [InlineData("losses: osc: unknown option '--blob' (try: losses osc --help)", "--to", "127.0.0.1:9000", "--blob")]
    public void A_wrong_osc_command_line_is_one_line_and_exit_2(string message, params string[] args)
    {
        EngineCli.Outcome r = EngineCli.Run(["osc", .. args]);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal(message, r.Stderr.Trim());
    }

    [Fact]
    public void A_port_another_program_holds_fails_live_and_the_remote_visualiser_in_one_line_before_anything_is_made()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        string port = ((IPEndPoint)holder.LocalEndPoint!).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string dir = EngineCli.TempDir();

        using var ring = new Protocol.TestRing();
        EngineCli.Outcome live = EngineCli.Run("live", "--osc-in", port, "--record", dir, "--duration", "1", "--ring", ring.Name);
        Assert.Equal(1, live.ExitCode);
        Assert.StartsWith($"losses: cannot listen for OSC on UDP port {port}:", live.Stderr.Trim());
        Assert.DoesNotContain('\n', live.Stderr.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(dir));

        EngineCli.Outcome visualiser = VisualiserKit.Run("--listen", port, "-o", Path.Combine(dir, "x.png"));
        Assert.Equal(1, visualiser.ExitCode);
        Assert.StartsWith($"losses: cannot listen for OSC on UDP port {port}:", visualiser.Stderr.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(dir));
    }
}
