using System.Diagnostics;
using System.Net;
using Losses.Protocol;
using Losses.Protocol.Osc;
using Losses.Tests.Cli;
using Losses.Tests.Visualiser;
using Losses.Visualiser.Modes;
using OpenCvSharp;
using Xunit.Abstractions;

namespace Losses.Tests.Osc;

/// <summary>`visualise --listen`: frames over OSC draw what the same frames draw from a frame log.</summary>
public class RemoteVisualiserTests(ITestOutputHelper output)
{
    [Fact]
    public void The_remote_visualiser_draws_the_same_still_as_the_local_one_from_the_same_frames()
    {
        string dir = EngineCli.TempDir();
        string midi = VisualiserKit.MakeMidi(dir, seconds: 3);
        using var testRing = new Protocol.TestRing();
        string ring = testRing.Name;
        int port = OscPeers.FreeUdpPort();
        string remote = Path.Combine(dir, "remote.png"), local = Path.Combine(dir, "local.png"), log = Path.Combine(dir, "x.frames");
        string[] look = ["--at", "2.6", "--size", "320x180", "--video", "pattern", "--hud"];

        using Process visualiser = VisualiserKit.Start(null, ["--listen", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", remote, .. look]);
        var lines = new List<string>();
        OscCommandTests.WaitForStderr(visualiser, "waiting for frames on UDP", lines);
        using Process osc = OscCommandTests.Start("osc", "--ring", ring, "--frame-blob", "--to", $"127.0.0.1:{port}", "--once", "--timeout", "20");
        OscCommandTests.WaitForStderr(osc, "waiting for the engine", lines);
        EngineCli.Outcome render = EngineCli.Run("render", midi, "-o", Path.Combine(dir, "x.wav"), "--ring", ring, "--realtime", "--frames", log);
        Assert.True(render.ExitCode == 0, render.Stderr);
        Assert.True(visualiser.WaitForExit(60_000), "the remote visualiser stopped when the frames did");
        string said = visualiser.StandardError.ReadToEnd() + visualiser.StandardOutput.ReadToEnd();
        output.WriteLine(string.Join('\n', lines) + "\n" + said);
        Assert.Equal(0, visualiser.ExitCode);
        using (FrameLogReader frames = FrameLogReader.Open(log))
            Assert.Contains($"{frames.Count} frames received, {frames.Count} kept; dropped: 0 lost on the way, 0 late or repeated, 0 strays, 0 bad", said);
        Assert.Contains("; 0 packets rejected", said);
        Assert.Contains("without a frame ignored", said); // the other /losses/ bundles went to the same port

        EngineCli.Outcome still = VisualiserKit.Run(["--frames", log, "-o", local, .. look]);
        Assert.True(still.ExitCode == 0, still.Stderr);
        using Mat a = Cv2.ImRead(local), b = Cv2.ImRead(remote);
        Assert.Equal(a.Size(), b.Size());
        using var diff = new Mat();
        Cv2.Absdiff(a, b, diff);
        using Mat grey = diff.CvtColor(ColorConversionCodes.BGR2GRAY);
        Assert.Equal(0, Cv2.CountNonZero(grey));
        using Mat lit = a.CvtColor(ColorConversionCodes.BGR2GRAY);
        Assert.True(Cv2.CountNonZero(lit) > 320 * 180 / 4, "the still shows something (the video and the curves)");
        osc.WaitForExit(30_000);
    }

    [Fact]
    public void Lost_datagrams_are_counted_from_the_frame_index_and_a_restart_is_a_new_run()
    {
        using var source = new OscFrameSource(0);
        using var sender = new OscSender([new IPEndPoint(IPAddress.Loopback, source.Port)]);
        byte[] buffer = new byte[4096];
        void Send(long index)
        {
            var frame = new Frame { Index = index, Part = 1, SampleRate = 48000, SampleTime = index * 64 };
            var w = new OscWriter(buffer);
            w.BeginBundle(OscTimeTag.Immediately);
            FrameBlob.Write(ref w, frame);
            w.EndBundle();
            sender.Send(w.Packet);
        }
        List<long> Read()
        {
            var seen = new List<long>();
            var clock = Stopwatch.StartNew();
            while (clock.ElapsedMilliseconds < 300) if (source.TryRead(out Frame f)) seen.Add(f.Index);
            return seen;
        }

        foreach (long i in new long[] { 100, 101, 102, 105, 106, 103 }) Send(i); // joined late; 103, 104 lost, then 103 comes late
        sender.Send("/losses/frame\0\0\0,b\0\0\0\0\0\u0004\u0001\u0002\u0003\u0004"u8); // a blob that is no frame
        sender.Send("/losses/fra"u8); // not OSC
        Assert.Equal([100, 101, 102, 105, 106], Read());
        Assert.Equal(2, source.Lost);
        Assert.Equal(1, source.Generation);
        Assert.Equal(2, source.Rejected);

        foreach (long i in new long[] { 0, 1, 2 }) Send(i); // the engine started again
        Assert.Equal([0, 1, 2], Read());
        Assert.Equal(2, source.Generation);
        Assert.Equal(2, source.Lost);
        Assert.Equal(RingState.Live, source.State);
    }

    [Fact]
    public void The_live_window_follows_frames_from_the_network_and_counts_the_ones_that_never_came()
    {
        (Process xvfb, string display) = LiveWindowTests.StartXvfb();
        try
        {
            int port = OscPeers.FreeUdpPort();
            using Process window = VisualiserKit.Start(new Dictionary<string, string> { ["DISPLAY"] = display },
                "--listen", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--size", "320x180", "--status", "0.2");
            try
            {
                var lines = new List<string>();
                OscCommandTests.WaitForStderr(window, "waiting for frames on UDP", lines);
                using var sender = new OscSender([new IPEndPoint(IPAddress.Loopback, port)]);
                byte[] buffer = new byte[4096];
                for (long i = 0; i < 200; i++)
                {
                    if (i is 50 or 51 or 52) continue; // three datagrams lost on the way
                    var frame = new Frame { Index = i, Part = 2, SampleRate = 48000, SampleTime = i * 64 };
                    var w = new OscWriter(buffer);
                    FrameBlob.Write(ref w, frame);
                    sender.Send(w.Packet);
                    Thread.Sleep(2);
                }
                string? status = null;
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < TimeSpan.FromSeconds(20))
                {
                    string? line = window.StandardOutput.ReadLine();
                    if (line is null) break;
                    if (line.Contains("seen=197 ", StringComparison.Ordinal)) { status = line; break; }
                }
                Assert.NotNull(status);
                Assert.StartsWith("status state=Live generation=1 frame=199 part=2", status);
                Assert.Contains(" lost=3 ", status);
            }
            finally
            {
                window.Kill();
                window.WaitForExit();
            }
        }
        finally
        {
            xvfb.Kill();
            xvfb.WaitForExit();
        }
    }
}
