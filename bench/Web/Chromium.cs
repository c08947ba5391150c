using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Losses.Bench.Web;

/// <summary>
/// Debian's Chromium, headless, drawing WebGL2 on Mesa's llvmpipe, driven over the DevTools
/// protocol (a WebSocket from the BCL: no browser download, no package). A fake camera plays a
/// .y4m file when one is given. Shared by `bench web` and the tests (tests/Web).
/// </summary>
public sealed partial class Chromium : IDisposable
{
    public const string Executable = "/usr/bin/chromium";
    private readonly Process _process;
    private readonly string _profile;
    private readonly int _port;

    /// <param name="camera">A .y4m file the fake camera plays; null: no fake camera.</param>
    /// <param name="allowCamera">Accept the camera prompt (false: the page is refused the camera).</param>
    public Chromium(string? camera = null, bool allowCamera = true, params string[] extra)
    {
        if (!File.Exists(Executable)) throw new InvalidOperationException($"no browser at {Executable}: install Debian's chromium (apt-get install chromium)");
        _profile = Directory.CreateTempSubdirectory("losses-chromium-").FullName;
        var info = new ProcessStartInfo(Executable) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in (string[])["--headless", "--no-sandbox", "--use-gl=angle", "--use-angle=gl-egl", "--ignore-gpu-blocklist",
                     "--remote-debugging-port=0", "--user-data-dir=" + _profile, "--window-size=1280,800", "--no-first-run",
                     "--disable-background-timer-throttling", "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows"])
            info.ArgumentList.Add(a);
        if (camera is not null)
        {
            info.ArgumentList.Add("--use-fake-device-for-media-stream");
            info.ArgumentList.Add("--use-file-for-fake-video-capture=" + camera);
        }
        info.ArgumentList.Add(allowCamera ? "--use-fake-ui-for-media-stream" : "--deny-permission-prompts");
        foreach (string a in extra) info.ArgumentList.Add(a);
        info.ArgumentList.Add("about:blank");
        _process = Process.Start(info)!;
        _process.StandardOutput.ReadToEndAsync();
        try
        {
            var deadline = Stopwatch.StartNew();
            string? browserSocket = null;
            while (true)
            {
                string? line = _process.StandardError.ReadLine();
                if (line is null) throw new InvalidOperationException("chromium exited before it listened for DevTools");
                Match m = DevToolsLine().Match(line);
                if (m.Success) { _port = int.Parse(m.Groups[1].Value); browserSocket = m.Groups[0].Value["DevTools listening on ".Length..]; break; }
                if (deadline.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("chromium did not start its DevTools");
            }
            _ = _process.StandardError.ReadToEndAsync();
            _browser = new Tab(browserSocket!);
        }
        catch
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } // no browser left behind
            throw;
        }
    }

    private readonly Tab _browser;

    [GeneratedRegex(@"DevTools listening on ws://127\.0\.0\.1:(\d+)/\S+")]
    private static partial Regex DevToolsLine();

    /// <summary>Opens <paramref name="url"/> in a window of its own (a background tab would not draw: no animation frames).</summary>
    public Tab Open(string url)
    {
        JsonNode created = _browser.Call("Target.createTarget", new JsonObject { ["url"] = url, ["newWindow"] = true });
        string id = created["targetId"]!.GetValue<string>();
        return new Tab($"ws://127.0.0.1:{_port}/devtools/page/{id}");
    }

    /// <summary>
    /// Records the browser's trace (every process: the page, the GPU process, the compositor) for
    /// <paramref name="seconds"/> into <paramref name="path"/> (Chrome's JSON trace format, for
    /// chrome://tracing or Perfetto), to see where a frame's time goes.
    /// </summary>
    public void Trace(string path, double seconds, string categories = "toplevel,gpu,cc,viz,blink,v8,webgl,media,disabled-by-default-devtools.timeline,disabled-by-default-gpu.service")
    {
        var included = new JsonArray();
        foreach (string c in categories.Split(',')) included.Add(c);
        _browser.Call("Tracing.start", new JsonObject
        {
            ["transferMode"] = "ReturnAsStream",
            ["traceConfig"] = new JsonObject { ["recordMode"] = "recordContinuously", ["includedCategories"] = included },
        });
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        JsonNode complete = _browser.CallUntil("Tracing.end", null, "Tracing.tracingComplete");
        string stream = complete["stream"]!.GetValue<string>();
        using var file = File.Create(path);
        while (true)
        {
            JsonNode chunk = _browser.Call("IO.read", new JsonObject { ["handle"] = stream, ["size"] = 1 << 20 });
            string data = chunk["data"]!.GetValue<string>();
            file.Write(chunk["base64Encoded"]?.GetValue<bool>() == true ? Convert.FromBase64String(data) : Encoding.UTF8.GetBytes(data));
            if (chunk["eof"]!.GetValue<bool>()) break;
        }
        _browser.Call("IO.close", new JsonObject { ["handle"] = stream });
    }

    public void Dispose()
    {
        _browser.Dispose();
        try { _process.Kill(entireProcessTree: true); _process.WaitForExit(5000); } catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_profile, recursive: true); } catch (IOException) { }
    }

    /// <summary>One page, its DevTools session.</summary>
    public sealed class Tab : IDisposable
    {
        private readonly ClientWebSocket _socket = new();
        private int _id;

        internal Tab(string url)
        {
            _socket.Options.KeepAliveInterval = TimeSpan.Zero;
            _socket.ConnectAsync(new Uri(url), CancellationToken.None).GetAwaiter().GetResult();
        }

        /// <summary>The value of a JavaScript expression (promises awaited), as JSON.</summary>
        public JsonNode? Evaluate(string expression)
        {
            JsonNode result = Call("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
            if (result["exceptionDetails"] is JsonNode error) throw new InvalidOperationException($"{expression}: {error.ToJsonString()}");
            return result["result"]?["value"];
        }

        /// <summary>Waits until <paramref name="condition"/> (JavaScript) is true; fails with the page's stats after <paramref name="seconds"/>.</summary>
        public void WaitFor(string condition, double seconds = 30)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                // Until the page's script has run there is no lossesStats: not yet, rather than an error.
                if (Evaluate($"typeof lossesStats !== 'undefined' && !!({condition})")?.GetValue<bool>() == true) return;
                Thread.Sleep(100);
            }
            throw new TimeoutException($"the page never had {condition}: lossesStats = {Stats()?.ToJsonString()}");
        }

        public JsonNode? Stats() => Evaluate("window.lossesStats ? JSON.parse(JSON.stringify(window.lossesStats)) : null");

        public double Stat(string name) => Evaluate($"Number(window.lossesStats.{name})")!.GetValue<double>();

        /// <summary>The page's picture (lossesCapture) as PNG bytes.</summary>
        public byte[] Capture()
        {
            string url = Evaluate("window.lossesCapture()")!.GetValue<string>();
            return Convert.FromBase64String(url[(url.IndexOf(',') + 1)..]);
        }

        public JsonNode Call(string method, JsonObject? parameters = null) => CallUntil(method, parameters, null);

        /// <summary>Calls <paramref name="method"/>; with <paramref name="eventName"/>, then waits for that event and returns its parameters.</summary>
        public JsonNode CallUntil(string method, JsonObject? parameters, string? eventName)
        {
            int id = ++_id;
            var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters ?? new JsonObject() };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, timeout.Token).GetAwaiter().GetResult();
            var buffer = new byte[1 << 16];
            while (true)
            {
                using var text = new MemoryStream();
                WebSocketReceiveResult r;
                do
                {
                    r = _socket.ReceiveAsync(buffer, timeout.Token).GetAwaiter().GetResult();
                    text.Write(buffer, 0, r.Count);
                } while (!r.EndOfMessage);
                JsonNode reply = JsonNode.Parse(text.ToArray())!;
                if (eventName is not null && reply["method"]?.GetValue<string>() == eventName) return reply["params"]!;
                if (reply["id"]?.GetValue<int>() != id) continue; // an event
                if (reply["error"] is JsonNode error) throw new InvalidOperationException($"{method}: {error.ToJsonString()}");
                if (eventName is null) return reply["result"]!;
            }
        }

        public void Dispose()
        {
            try { Call("Page.close"); } catch (Exception e) when (e is InvalidOperationException or WebSocketException or OperationCanceledException) { }
            _socket.Dispose();
        }
    }
}
