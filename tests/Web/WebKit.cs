using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Losses.Bench.Web;
using Losses.Tests.Visualiser;
using OpenCvSharp;

namespace Losses.Tests.Web;

/// <summary>`losses web` as a process (the real server, from the tests' folder) and what the web tests share.</summary>
public sealed partial class WebServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new(), _stderr = new();

    public WebServerProcess(params string[] args) : this(null, args) { }

    /// <param name="program">A program that runs losses-web itself (the Windows build under Wine), or null for the tests' own.</param>
    public WebServerProcess(ProcessStartInfo? program, params string[] args)
    {
        ProcessStartInfo info = program ?? new ProcessStartInfo("dotnet") { ArgumentList = { Dll } };
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        foreach (string a in args) info.ArgumentList.Add(a);
        if (!args.Contains("--port")) { info.ArgumentList.Add("--port"); info.ArgumentList.Add("0"); }
        _process = Process.Start(info)!;
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        var url = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        new Thread(() =>
        {
            while (_process.StandardOutput.ReadLine() is string line)
            {
                lock (_stdout) _stdout.AppendLine(line);
                Match m = UrlLine().Match(line);
                if (m.Success) url.TrySetResult(m.Groups[1].Value);
            }
            url.TrySetException(new InvalidOperationException($"losses web exited: {Stderr}"));
        }) { IsBackground = true }.Start();
        try
        {
            if (!url.Task.Wait(TimeSpan.FromSeconds(120))) throw new TimeoutException("losses web printed no URL");
            Url = url.Task.Result;
        }
        catch
        {
            Dispose(); // no server left behind by a test that failed here
            throw;
        }
    }

    /// <summary>losses-web.dll, built in the tests' configuration (the tests reference it without its assembly).</summary>
    public static string Dll
    {
        get
        {
            var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
            string dll = Path.Combine(TestFiles.RepositoryRoot, "visualiser", "Web", "bin", output.Parent!.Name, output.Name, "losses-web.dll");
            Assert.True(File.Exists(dll), $"{dll} not built");
            return dll;
        }
    }

    [GeneratedRegex(@"^open (https?://[^ ]+/) in a browser")]
    private static partial Regex UrlLine();

    /// <summary>The page's address, as the server printed it.</summary>
    public string Url { get; }
    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }
    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
    }
}

public static class WebKit
{
    /// <summary>
    /// A .y4m file (what Chromium's fake camera plays): grey stripes 8 pixels wide — upright in the
    /// top half, lying in the bottom half — so a plane's shift along x shows in the top half and along
    /// y in the bottom half.
    /// </summary>
    public static string StripedCamera(string dir, int width = 640, int height = 360, int period = 16) =>
        FakeCamera.Write(Path.Combine(dir, "stripes.y4m"), width, height, 2, (_, luma) =>
        {
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                    luma[y * width + x] = (byte)(((y < height / 2 ? x : y) / (period / 2)) % 2 == 0 ? 235 : 16);
        });

    /// <summary>A reader of the server's WebSocket that connects and then reads nothing: its queue fills, nobody else's does.</summary>
    public static System.Net.WebSockets.ClientWebSocket StalledReader(string url)
    {
        var socket = new System.Net.WebSockets.ClientWebSocket();
        Task connect = socket.ConnectAsync(new Uri(url.Replace("http://", "ws://") + "frames"), CancellationToken.None);
        if (!connect.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException("the stalled reader could not connect");
        return socket;
    }

    public static Mat Decode(byte[] png) => Cv2.ImDecode(png, ImreadModes.Color);

    public static string Query(string url, string query) => url + "?" + query;

    /// <summary>Renders <paramref name="midi"/> with its frame log; returns the log.</summary>
    public static string RenderFrames(string dir, string midi)
    {
        string log = Path.Combine(dir, "performance.frames");
        var r = Cli.EngineCli.Run("render", midi, "-o", Path.Combine(dir, "performance.wav"), "--frames", log);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return log;
    }

    public static string Dir() => Cli.EngineCli.TempDir();

    public static string ShortMidi(string dir, double seconds = 3) => VisualiserKit.MakeMidi(dir, seconds);
}

/// <summary>The browser tests one after another: each runs a Chromium that takes both cores while it draws.</summary>
[CollectionDefinition("web")]
public sealed class WebCollection;
