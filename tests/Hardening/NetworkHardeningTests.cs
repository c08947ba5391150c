using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Losses.Protocol.Osc;
using Losses.Tests.Cli;
using Losses.Tests.Live;
using Losses.Tests.Osc;
using Losses.Tests.Visualiser;
using Xunit.Abstractions;
using static Losses.Tests.Hardening.HardeningKit;

namespace Losses.Tests.Hardening;

/// <summary>
/// The network is opt-in and scoped: OSC in and the remote visualiser answer on loopback unless an
/// address is given; a listener on the network takes only the senders it was given; every datagram
/// is counted; a command flood acts a few times a second, not millions — with real sockets, liblo's
/// oscsend and a live engine on a JACK server of the test's own.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NetworkHardeningTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("9000", "127.0.0.1:9000")]
    [InlineData("0.0.0.0:9000", "0.0.0.0:9000")]
    [InlineData("192.168.1.10:57121", "192.168.1.10:57121")]
    [InlineData("[::1]:9000", "[::1]:9000")]
    [InlineData("[::]:9000", "[::]:9000")]
    public void A_listen_address_is_loopback_unless_one_is_given(string text, string expected)
    {
        Assert.True(OscListen.TryParse(text, out IPEndPoint local, out string problem), problem);
        Assert.Equal(expected, local.ToString());
    }

    [Theory]
    [InlineData("::1:9000", "in brackets")]
    [InlineData("stage:9000", "'stage' is not an IP address")]
    [InlineData("70000", "1..65535")]
    [InlineData("0.0.0.0:", "1..65535")]
    [InlineData("[::1]9000", "is not [ADDR]:PORT")]
    [InlineData("[127.0.0.1]:9000", "is not an IP address")]
    public void A_malformed_listen_address_is_one_reason(string text, string reason)
    {
        Assert.False(OscListen.TryParse(text, out _, out string problem));
        Assert.Contains(reason, problem);
    }

    [Fact]
    public void A_receiver_takes_only_its_senders_counts_empty_datagrams_and_allocates_nothing_either_way()
    {
        Assert.True(OscSenders.TryCreate(new IPEndPoint(IPAddress.Any, 0), ["127.0.0.2", "127.0.1.0/24"], "--allow", out OscSenders senders, out string problem), problem);
        using var receiver = new OscReceiver(new IPEndPoint(IPAddress.Any, 0), senders, timeoutMs: 200);
        var to = new IPEndPoint(IPAddress.Loopback, receiver.Port);
        using Socket listed = NetworkHardeningKit.SenderFrom("127.0.0.2"), inPrefix = NetworkHardeningKit.SenderFrom("127.0.1.77"),
            outside = NetworkHardeningKit.SenderFrom("127.0.0.1"), nextPrefix = NetworkHardeningKit.SenderFrom("127.0.2.1");
        byte[] packet = "/losses/panic\0\0\0,\0\0\0"u8.ToArray();

        outside.SendTo(packet, to);
        Assert.Equal(OscReceiver.RefusedSender, receiver.Receive());
        Assert.True(receiver.Datagram.IsEmpty); // nothing of a refused datagram is handed on
        nextPrefix.SendTo(packet, to);
        Assert.Equal(OscReceiver.RefusedSender, receiver.Receive());
        listed.SendTo(packet, to);
        Assert.Equal(packet.Length, receiver.Receive());
        Assert.True(receiver.Datagram.SequenceEqual(packet));
        inPrefix.SendTo(packet, to);
        Assert.Equal(packet.Length, receiver.Receive());
        listed.SendTo([], to);
        Assert.Equal(0, receiver.Receive()); // an empty datagram is a datagram, not a timeout
        Assert.Equal(2, receiver.Refused);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int refused = 0, taken = 0;
        for (int i = 0; i < 50; i++)
        {
            outside.SendTo(packet, to);
            if (receiver.Receive() == OscReceiver.RefusedSender) refused++;
            listed.SendTo(packet, to);
            if (receiver.Receive() == packet.Length) taken++;
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal((50, 50), (refused, taken));
        Assert.Equal(0, allocated - SendAllocation(outside, listed, packet, to));
    }

    /// <summary>What the test's own 100 sends allocate (the receiver's share must be zero).</summary>
    private static long SendAllocation(Socket a, Socket b, byte[] packet, IPEndPoint to)
    {
        using var sink = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sink.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var drop = (IPEndPoint)sink.LocalEndPoint!;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++) { a.SendTo(packet, drop); b.SendTo(packet, drop); }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData("--osc-allow ADDR[/BITS]", "live", "--osc-in", "0.0.0.0:9000")]
    [InlineData("--osc-allow ADDR[/BITS]", "live", "--osc-in", "[::]:9000")]
    [InlineData("give --osc-in [ADDR:]PORT too", "live", "--osc-allow", "127.0.0.1")]
    [InlineData("--osc-allow '300.1.1.1' is not ADDR", "live", "--osc-in", "0.0.0.0:9000", "--osc-allow", "300.1.1.1")]
    [InlineData("--osc-allow '10.0.0.0/33' is not ADDR", "live", "--osc-in", "0.0.0.0:9000", "--osc-allow", "10.0.0.0/33")]
    [InlineData("--osc-in '::1:9000'", "live", "--osc-in", "::1:9000")]
    public void A_listener_on_the_network_must_be_told_its_senders(string expected, params string[] args)
    {
        string dir = EngineCli.TempDir();
        AssertOneLine(EngineCli.Run([.. args, "--record", dir]), 2, expected);
        AssertNothingLeft(dir);
        if (args[0] == "live" && args[1] == "--osc-in" && args.Length == 3 && args[2].StartsWith('0'))
            AssertOneLine(VisualiserKit.Run("--listen", args[2], "-o", Path.Combine(dir, "x.png")), 2, "--allow ADDR[/BITS]");
    }

    [Fact]
    public void The_remote_visualiser_listens_on_loopback_unless_told_otherwise()
    {
        string dir = EngineCli.TempDir();
        int port = OscPeers.FreeUdpPort();
        using Process visualiser = VisualiserKit.Start(null, ["--listen", port.ToString(CultureInfo.InvariantCulture), "-o", Path.Combine(dir, "x.png")]);
        var lines = new List<string>();
        OscCommandTests.WaitForStderr(visualiser, "waiting for frames on UDP 127.0.0.1:", lines);
        Assert.Contains("(this machine only)", lines[^1]);
        Assert.Equal(["127.0.0.1"], NetworkHardeningKit.BoundAddresses(port));
        visualiser.Kill();
        visualiser.WaitForExit();
        AssertNothingLeft(dir);
    }

    [Fact]
    public async Task Live_OSC_on_the_network_acts_nothing_from_outside_its_list_and_a_flood_acts_a_few_times_a_second()
    {
        string name = "losses-net-" + Guid.NewGuid().ToString("N")[..6];
        using var ring = new Protocol.TestRing("t-" + name);
        using JackServer jack = JackServer.StartNamed(name);
        string dir = EngineCli.TempDir();
        int port = OscPeers.FreeUdpPort();
        string p = port.ToString(CultureInfo.InvariantCulture);
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "losses-engine.dll"));
        foreach (string a in new[] { "live", "--client", name, "--no-connect", "--record", dir, "--duration", "9", "--ring", "t-" + name,
                     "--osc-in", "0.0.0.0:" + p, "--osc-allow", "127.0.0.1" })
            info.ArgumentList.Add(a);
        info.Environment["JACK_DEFAULT_SERVER"] = name;
        using Process engine = Process.Start(info)!;
        Task<string> stdout = engine.StandardOutput.ReadToEndAsync();
        var lines = new List<string>();
        OscCommandTests.WaitForStderr(engine, "OSC commands on UDP 0.0.0.0:" + p + " (127.0.0.1)", lines);
        Task<string> stderr = engine.StandardError.ReadToEndAsync();
        Thread.Sleep(3000); // past the warm-up

        // Another host on the stage network (this machine's network address is the sender): refused, every one.
        string lan = NetworkHardeningKit.NetworkAddress();
        for (int i = 0; i < 3; i++) Assert.Equal(0, OscPeers.Send([lan, p, "/losses/panic"]).Exit);
        // The listed sender: a real peer's press acts.
        Assert.Equal(0, OscPeers.Send(["127.0.0.1", p, "/losses/reset"]).Exit);
        // Five empty datagrams: counted.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var to = new IPEndPoint(IPAddress.Loopback, port);
        for (int i = 0; i < 5; i++) socket.SendTo([], to);
        // A flood from the listed sender: 1000 bundles of 10 next-part presses each, as fast as it goes.
        byte[] buffer = new byte[4096];
        var w = new OscWriter(buffer);
        w.BeginBundle(OscTimeTag.Immediately);
        for (int i = 0; i < 10; i++) { w.BeginMessage("/losses/next", ","); w.EndMessage(); }
        w.EndBundle();
        byte[] bundle = w.Packet.ToArray();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++) { socket.SendTo(bundle, to); if (i % 10 == 9) Thread.Sleep(1); }
        double floodSeconds = clock.Elapsed.TotalSeconds;
        // What the kernel dropped on a busy machine (the engine's receive buffer full) never reached the engine to be counted.
        Thread.Sleep(1000);
        long dropped = NetworkHardeningKit.KernelDrops(port);

        Assert.True(engine.WaitForExit(TimeSpan.FromSeconds(60)), "the engine did not finish");
        string summary = await stdout + await stderr;
        output.WriteLine(string.Join('\n', lines) + "\n" + summary + $"\nflood: {floodSeconds:0.000} s, {dropped} datagrams dropped by the kernel");
        Assert.Equal(0, engine.ExitCode);
        Match m = Regex.Match(summary, @"osc in: (\d+) packets, (\d+) commands, (\d+) malformed, (\d+) oversized, (\d+) unknown, (\d+) refused \(sender not allowed\), (\d+) over the rate limit");
        Assert.True(m.Success, summary);
        long N(int g) => long.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        Assert.Equal(3 + 1 + 5 + 1000, N(1) + dropped); // every datagram that reached the engine, the refused and empty ones too
        Assert.True(dropped < 500, $"{dropped} of the flood's datagrams dropped: the test did not load the engine");
        Assert.Equal(3, N(6));
        Assert.Equal(5, N(3)); // an empty datagram is no OSC packet
        // The reset acts; of the presses that arrived, at most the burst of 8 and 8 a second while the flood lasted
        // (half a second of slack for the engine's thread to drain its socket after the last send).
        long nexts = N(2) - 1;
        long most = 8 + (long)Math.Ceiling((floodSeconds + 0.5) * 8);
        Assert.InRange(nexts, 8, most);
        Assert.Equal(10 * (1000 - dropped) - nexts, N(7));
        Assert.Contains("allocated bytes 0", summary);
    }
}
