using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Losses.Tests.Cli;

namespace Losses.Tests.Visualiser;

/// <summary>
/// Videos that play in a browser: H.264 + AAC through Debian's ffmpeg, as long as the WAV within a
/// video frame, the sound the render's; without ffmpeg, OpenCV's silent mp4v and one line saying so.
/// ffprobe (ffmpeg's own reader) is the independent judge of what was written.
/// </summary>
public class VideoWithSoundTests
{
    private sealed record Stream(string Codec, string Type, string? PixelFormat, double Duration);

    private static (List<Stream> Streams, double Duration) Probe(string path)
    {
        var start = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-v", "error", "-show_streams", "-show_format", "-of", "json", path }) start.ArgumentList.Add(a);
        EngineCli.Outcome o = EngineCli.Wait(start, "ffprobe " + path);
        Assert.True(o.ExitCode == 0, o.Stderr);
        using JsonDocument doc = JsonDocument.Parse(o.Stdout);
        var streams = doc.RootElement.GetProperty("streams").EnumerateArray().Select(s => new Stream(
            s.GetProperty("codec_name").GetString()!, s.GetProperty("codec_type").GetString()!,
            s.TryGetProperty("pix_fmt", out JsonElement pf) ? pf.GetString() : null,
            double.Parse(s.GetProperty("duration").GetString()!, CultureInfo.InvariantCulture))).ToList();
        return (streams, double.Parse(doc.RootElement.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture));
    }

    /// <summary>The sound track decoded back by ffmpeg: interleaved stereo floats at the render's rate.</summary>
    private static float[] DecodeSound(string video, string dir)
    {
        string raw = Path.Combine(dir, "decoded.f32");
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "-v", "error", "-nostdin", "-i", video, "-vn", "-ac", "2", "-ar", "48000", "-f", "f32le", raw }) start.ArgumentList.Add(a);
        EngineCli.Outcome o = EngineCli.Wait(start, "ffmpeg decode");
        Assert.True(o.ExitCode == 0, o.Stderr);
        byte[] bytes = File.ReadAllBytes(raw);
        File.Delete(raw);
        return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    private static double RmsDb(IEnumerable<float> samples, long count) =>
        10 * Math.Log10(samples.Sum(x => (double)x * x) / count);

    private static double RmsDb(WavData w) => RmsDb(w.Samples.SelectMany(c => c), w.Channels * (long)w.Frames);

    private static void AssertBrowserVideo(string video, string wav, double fps)
    {
        var (streams, duration) = Probe(video);
        Assert.Equal(["aac audio ", "h264 video yuv420p"], streams.Select(s => $"{s.Codec} {s.Type} {s.PixelFormat}").Order(StringComparer.Ordinal));
        WavData sound = WavData.Read(wav);
        double wavSeconds = (double)sound.Frames / sound.SampleRate;
        Assert.True(Math.Abs(duration - wavSeconds) <= 1 / fps, $"video {duration:0.000} s, WAV {wavSeconds:0.000} s: more than a frame apart");
        Stream audio = streams.Single(s => s.Type == "audio");
        Assert.True(Math.Abs(audio.Duration - wavSeconds) <= 1 / fps, $"sound {audio.Duration:0.000} s, WAV {wavSeconds:0.000} s");
    }

    [Fact]
    public void A_render_with_its_wav_becomes_h264_and_aac_as_long_as_the_wav_carrying_its_sound()
    {
        string dir = EngineCli.TempDir();
        string midi = VisualiserKit.MakeMidi(dir, seconds: 4);
        string frames = VisualiserKit.RenderFrames(dir, midi), wav = Path.Combine(dir, "short.wav");
        string video = Path.Combine(dir, "short.mp4");
        EngineCli.Outcome r = VisualiserKit.Run("--frames", frames, "-o", video, "--audio", wav, "--size", "160x90", "--fps", "25");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("losses:", r.Stderr);
        Assert.Contains("[H.264 + AAC,", r.Stdout);
        AssertBrowserVideo(video, wav, 25);
        // The sound is the render's: the decoded track's level within 0.5 dB of the WAV's (AAC at 192 kb/s).
        float[] track = DecodeSound(video, dir);
        double original = RmsDb(WavData.Read(wav)), decoded = RmsDb(track, track.Length);
        Assert.True(Math.Abs(original - decoded) < 0.5, $"WAV {original:0.00} dB, the video's sound {decoded:0.00} dB");
        Assert.Equal(["short.frames", "short.mid", "short.mp4", "short.wav"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_demo_writes_a_browser_video_with_its_sound_and_says_what_to_open()
    {
        string dir = Path.Combine(EngineCli.TempDir(), "out");
        EngineCli.Outcome r = EngineCli.Run("demo", "-o", dir, "--visualiser", Path.Combine(AppContext.BaseDirectory, "losses-visualiser.dll"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        AssertBrowserVideo(Path.Combine(dir, "demo.mp4"), Path.Combine(dir, "demo.wav"), 30);
        Assert.EndsWith($"open {Path.Combine(dir, "demo.mp4")} (the visuals with the sound), or {Path.Combine(dir, "demo.wav")} to listen", r.Stdout.TrimEnd());
    }

    [Fact]
    public void Without_ffmpeg_the_video_is_mp4v_and_one_line_says_so()
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 2));
        string video = Path.Combine(dir, "silent.mp4");
        var noFfmpeg = new Dictionary<string, string> { ["PATH"] = dir }; // a PATH without ffmpeg
        EngineCli.Outcome r = VisualiserKit.Run(noFfmpeg, "--frames", frames, "-o", video, "--audio", Path.Combine(dir, "short.wav"), "--size", "160x90", "--fps", "10");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["losses: ffmpeg not found: writing mp4v without sound, which browsers do not play (install ffmpeg: sudo apt-get install ffmpeg)"], lines);
        var (streams, _) = Probe(video);
        Assert.Equal("mpeg4 video", string.Join(',', streams.Select(s => $"{s.Codec} {s.Type}")));
    }

    [Fact]
    public void Audio_goes_only_into_a_video_and_must_exist()
    {
        string dir = EngineCli.TempDir();
        string frames = VisualiserKit.RenderFrames(dir, VisualiserKit.MakeMidi(dir, seconds: 2));
        string wav = Path.Combine(dir, "short.wav");
        EngineCli.Outcome png = VisualiserKit.Run("--frames", frames, "-o", Path.Combine(dir, "x.png"), "--audio", wav);
        VisualiserKit.AssertOneLineError(png, "--audio goes into a .mp4, .mov or .m4v video, not x.png");
        Assert.Equal(2, png.ExitCode);
        EngineCli.Outcome missing = VisualiserKit.Run("--frames", frames, "-o", Path.Combine(dir, "x.mp4"), "--audio", Path.Combine(dir, "none.wav"));
        VisualiserKit.AssertOneLineError(missing, "none.wav: no such file");
        Assert.Equal(1, missing.ExitCode);
        EngineCli.Outcome live = VisualiserKit.Run("--audio", wav);
        VisualiserKit.AssertOneLineError(live, "--audio goes with --frames IN.frames -o OUT.mp4");
        Assert.False(File.Exists(Path.Combine(dir, "x.mp4")) || File.Exists(Path.Combine(dir, "x.png")));
    }
}
