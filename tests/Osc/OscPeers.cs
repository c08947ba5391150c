using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Losses.Tests.Osc;

/// <summary>liblo's command-line tools (Debian liblo-tools) as independent OSC peers.</summary>
public static class OscPeers
{
    /// <summary>A UDP port nobody listens on right now (bound and released).</summary>
    public static int FreeUdpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Runs `oscsend` and returns its exit code and stderr.</summary>
    public static (int Exit, string Stderr) Send(params string[] args)
    {
        var start = new ProcessStartInfo("oscsend") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err);
    }

    /// <summary>What `oscsend - ADDRESS TYPES VALUES…` encodes (it writes the raw message to stdout).</summary>
    public static byte[] Encode(params string[] args)
    {
        var start = new ProcessStartInfo("oscsend") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-");
        foreach (string a in args) start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        using var bytes = new MemoryStream();
        p.StandardOutput.BaseStream.CopyTo(bytes);
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"oscsend failed: {err}");
        return bytes.ToArray();
    }
}

/// <summary>A running `oscdump -L PORT`: every line it prints, as it prints it.</summary>
public sealed class OscDump : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly List<string> _all = [];

    public OscDump(int port)
    {
        Port = port;
        var start = new ProcessStartInfo("oscdump") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Add("stderr: " + e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilListening();
    }

    public int Port { get; }

    /// <summary>Every line read so far (including the readiness probes).</summary>
    public IReadOnlyList<string> All => _all;

    /// <summary>The next line, or null after the timeout.</summary>
    public string? Next(TimeSpan timeout)
    {
        if (!_lines.TryTake(out string? line, timeout)) return null;
        _all.Add(line);
        return line;
    }

    /// <summary>Lines until none arrives for <paramref name="quiet"/> (or the overall limit passes).</summary>
    public List<string> Drain(TimeSpan quiet, TimeSpan limit)
    {
        var lines = new List<string>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit && Next(quiet) is string line) lines.Add(line);
        return lines;
    }

    /// <summary>oscdump prints nothing when it starts: probe it until a probe comes back.</summary>
    private void WaitUntilListening()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        byte[] probe = "/ready\0\0,\0\0\0"u8.ToArray();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            Assert.False(_process.HasExited, "oscdump exited at start: " + string.Join(" | ", _lines));
            socket.SendTo(probe, new IPEndPoint(IPAddress.Loopback, Port));
            string? line = Next(TimeSpan.FromMilliseconds(100));
            if (line is not null && line.Contains("/ready", StringComparison.Ordinal))
            {
                // Later probes may still be in flight: swallow them.
                while (Next(TimeSpan.FromMilliseconds(150)) is string more) Assert.Contains("/ready", more);
                return;
            }
            if (line is not null) Assert.Fail("oscdump: " + line);
        }
        Assert.Fail($"oscdump did not start listening on {Port}");
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) _process.Kill(); } catch (InvalidOperationException) { }
        _process.WaitForExit();
        _process.Dispose();
    }
}
