using System.Diagnostics;
using System.Globalization;
using System.Text;
using OpenCvSharp;

namespace Losses.Visualiser.Video;

/// <summary>
/// A video file that plays in every browser: H.264 (libx264, yuv420p) and, given a WAV, AAC, written
/// by Debian's ffmpeg from raw BGR frames on its stdin. A subprocess rather than FFMpegCore: that
/// package wraps the same command line, and its raw-frame pipe would add a frame wrapper type and an
/// async pipe server for what is here one <see cref="Process"/>, one stream and eight arguments in plain
/// view; the messages a performer reads stay the project's own lines.
/// </summary>
public sealed class FfmpegWriter : IDisposable
{
    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly StringBuilder _errors = new();
    private readonly int _frameBytes;
    private bool _finished;

    /// <summary>ffmpeg on the PATH, or null when there is none.</summary>
    public static string? Find()
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, OperatingSystem.IsWindows() ? "ffmpeg.exe" : "ffmpeg");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>The container for <paramref name="path"/>'s extension (the temporary name keeps it, but ffmpeg reads .m4v as raw MPEG-4).</summary>
    public static string? ContainerFor(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".mp4" or ".m4v" => "mp4",
        ".mov" => "mov",
        _ => null,
    };

    /// <summary>Starts ffmpeg writing <paramref name="path"/> (a container <see cref="ContainerFor"/> knows).</summary>
    public FfmpegWriter(string ffmpeg, string path, int width, int height, double fps, string? audio)
    {
        _frameBytes = width * height * 3;
        var start = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardInput = true,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        string rate = fps.ToString("0.######", CultureInfo.InvariantCulture);
        var args = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "bgr24", "-video_size", $"{width}x{height}", "-framerate", rate, "-i", "pipe:0" };
        if (audio is not null) args.AddRange(["-i", audio]);
        args.AddRange(["-map", "0:v"]);
        if (audio is not null) args.AddRange(["-map", "1:a", "-c:a", "aac", "-b:a", "192k"]);
        // yuv420p: the only chroma layout every browser decodes; faststart: the index first, so a browser plays while it loads.
        args.AddRange(["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-movflags", "+faststart",
            "-f", ContainerFor(path) ?? throw new ArgumentException($"no container for {path}"), path]);
        foreach (string a in args) start.ArgumentList.Add(a);
        _process = Process.Start(start) ?? throw new VisualiserException($"cannot start {ffmpeg}");
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_errors) _errors.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _stdin = _process.StandardInput.BaseStream;
    }

    /// <summary>One frame: a BGR image of the size given at the start.</summary>
    public unsafe void Write(Mat bgr)
    {
        if (!bgr.IsContinuous() || bgr.Total() * bgr.ElemSize() != _frameBytes)
            throw new ArgumentException("the frame is not a continuous BGR image of the video's size");
        try
        {
            _stdin.Write(new ReadOnlySpan<byte>((void*)bgr.Data, _frameBytes));
        }
        catch (IOException)
        {
            throw Failure(); // ffmpeg ended early: its own words say why
        }
    }

    /// <summary>Ends the video: ffmpeg writes the file's index and exits; a failure is its error lines.</summary>
    public void Finish()
    {
        _stdin.Dispose();
        _process.WaitForExit();
        _finished = true;
        if (_process.ExitCode != 0) throw Failure();
    }

    private VisualiserException Failure()
    {
        _process.WaitForExit();
        _finished = true;
        string said;
        lock (_errors) said = _errors.ToString().Trim().Replace('\n', ' ');
        return new VisualiserException($"ffmpeg failed (exit {_process.ExitCode}){(said.Length > 0 ? ": " + said : "")}");
    }

    public void Dispose()
    {
        if (!_finished)
        {
            // Interrupted or failed mid-video: stop ffmpeg; the caller removes the temporary file.
            try { _process.Kill(); } catch (InvalidOperationException) { }
            _process.WaitForExit();
        }
        _stdin.Dispose();
        _process.Dispose();
    }
}
