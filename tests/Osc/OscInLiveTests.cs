using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Losses.Protocol;
using Losses.Tests.Cli;
using Losses.Tests.Hardening;
using Losses.Tests.Live;
using Xunit.Abstractions;

namespace Losses.Tests.Osc;

/// <summary>`live --osc-in`: liblo's oscsend moves the part of a live engine on a JACK dummy server of the test's own; bad packets do nothing.</summary>
public class OscInLiveTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Oscsend_changes_the_part_and_draws_a_target_and_bad_packets_neither_disturb_nor_allocate()
    {
        string name = "losses-osc-" + Guid.NewGuid().ToString("N")[..6];
        using var ring = new Protocol.TestRing("t-" + name);
        using JackServer jack = JackServer.StartNamed(name);
        string dir = EngineCli.TempDir();
        int port = OscPeers.FreeUdpPort();
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "losses-engine.dll"));
        foreach (string a in new[] { "live", "--client", name, "--no-connect", "--record", dir, "--duration", "12", "--ring", "t-" + name, "--osc-in", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            info.ArgumentList.Add(a);
        info.Environment["JACK_DEFAULT_SERVER"] = name;
        using Process engine = Process.Start(info)!;
        Task<string> stdout = engine.StandardOutput.ReadToEndAsync();
        var lines = new List<string>();
        OscCommandTests.WaitForStderr(engine, "OSC commands on UDP", lines);
        Task<string> stderr = engine.StandardError.ReadToEndAsync();
        Thread.Sleep(3000); // past the engine's 2 s warm-up: from here on it must allocate nothing

        string p = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        void Send(params string[] args)
        {
            var (exit, err) = OscPeers.Send(["127.0.0.1", p, .. args]);
            Assert.True(exit == 0, err);
            Thread.Sleep(400);
        }
        // Loopback only by default: the socket is bound to 127.0.0.1 (the kernel's table says so), and a
        // panic sent to this machine's network address reaches nothing (another host's would not either).
        Assert.Equal(["127.0.0.1"], NetworkHardeningKit.BoundAddresses(port));
        Assert.Equal(0, OscPeers.Send([NetworkHardeningKit.NetworkAddress(), p, "/losses/panic"]).Exit);
        Send("/losses/next");                 // part 1 → 2
        using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp))
        {
            var to = new IPEndPoint(IPAddress.Loopback, port);
            var rng = new Random(3);
            byte[] garbage = new byte[37];
            for (int i = 0; i < 20; i++) { rng.NextBytes(garbage); garbage[0] = (byte)'/'; socket.SendTo(garbage, to); } // malformed
            socket.SendTo(new byte[9000], to);                                                                        // oversized
            socket.SendTo(Convert.FromHexString("2362756e646c6500000000000000000100000100"), to);                       // bundle cut short
            socket.SendTo("/losses/nothing\0,\0\0\0"u8.ToArray(), to);                                                 // unknown address
            socket.SendTo("/losses/part\0\0\0\0,i\0\0\0\0\0\u0009"u8.ToArray(), to);                                   // part 9: refused
        }
        Thread.Sleep(400);
        Send("/losses/part", "i", "4");       // 2 → 4
        Send("/losses/reset");                // a new cubic in part 4
        Send("/losses/next", "f", "0");       // a button let go: nothing
        Send("/losses/part/1", "f", "1");     // a TouchOSC button: 4 → 1
        Send("/losses/panic");

        Assert.True(engine.WaitForExit(TimeSpan.FromSeconds(60)), "the engine did not finish");
        string summary = await stdout + await stderr;
        output.WriteLine(string.Join('\n', lines) + "\n" + summary);
        Assert.Equal(0, engine.ExitCode);
        Assert.Contains("osc in: 30 packets, 5 commands, 21 malformed, 1 oversized, 2 unknown, 0 refused (sender not allowed), 0 over the rate limit (dropped)", summary);
        Assert.Contains("gc collections 0/0/0", summary);
        Assert.Contains("allocated bytes 0", summary);

        using FrameLogReader log = FrameLogReader.Open(Path.Combine(dir, "frames.frames"));
        Frame[] frames = log.ReadAll().ToArray();
        var parts = new List<int>();
        // Part 2 → 4 is two pedal presses at one instant: part 3 shows only in a frame of that same sample.
        foreach (Frame f in frames.GroupBy(f => f.SampleTime).Select(g => g.Last())) if (parts.Count == 0 || parts[^1] != f.Part) parts.Add(f.Part);
        Assert.Equal([1, 2, 4, 1], parts);
        Frame inFour = frames.Last(f => f.Part == 4);
        Assert.Equal(1, inFour.CubicTargets);
        Assert.Equal(FrameModel.Cubic, inFour.Model);
        Assert.Equal(0, frames.First(f => f.Part == 4).CubicTargets);
    }
}
