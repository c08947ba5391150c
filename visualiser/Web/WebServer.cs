using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Channels;
using Losses.Visualiser.Scenes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Losses.Web;

/// <summary>
/// The page, its script and the shaders (from memory), /layout.json, /still (a frame log's state at
/// a time) and the WebSocket /frames that carries every frame to every page. Kestrel on one address.
/// </summary>
public sealed class WebServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly FramePump _pump;
    private readonly LogSource? _log;
    private readonly byte[] _layout = Snapshot.LayoutJson();
    /// <summary>Snapshots sent in one WebSocket message at most (≈ 80 KB).</summary>
    private const int MaxBatch = 64;

    public WebServer(FramePump pump, LogSource? log, IPAddress address, int port, X509Certificate2? certificate)
    {
        _pump = pump;
        _log = log;
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(address, port, listen =>
            {
                if (certificate is not null) listen.UseHttps(certificate);
            });
        });
        _app = builder.Build();
        _app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(10) });
        _app.Use(Handle);
    }

    /// <summary>Where Kestrel listens, once started (the real port when 0 was asked for).</summary>
    public IReadOnlyList<string> Addresses =>
        _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    public Task StartAsync() => _app.StartAsync();

    private async Task Handle(HttpContext context, RequestDelegate next)
    {
        string path = context.Request.Path.Value ?? "/";
        HttpResponse response = context.Response;
        // The page may be shown on a projector machine: nothing here is for other sites to embed or read.
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["Cache-Control"] = "no-store";
        if (path == "/frames")
        {
            if (!context.WebSockets.IsWebSocketRequest) { response.StatusCode = 400; return; }
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync();
            // ?gather=MS (the page passes its own ?gather on): at most one send per MS milliseconds, for a page
            // on a slow machine, where each message costs the browser's network, IO and main threads.
            double gather = double.TryParse(context.Request.Query["gather"], NumberStyles.Float, CultureInfo.InvariantCulture, out double ms) && ms is > 0 and <= 50 ? ms : 0;
            await Serve(socket, gather, context.RequestAborted);
            return;
        }
        if (path == "/layout.json") { await Send(response, "application/json", _layout); return; }
        if (path == "/still")
        {
            if (_log is null) { response.StatusCode = 404; await Send(response, "text/plain", "stills come from a frame log: run web --frames IN.frames"u8.ToArray()); return; }
            if (!double.TryParse(context.Request.Query["at"], NumberStyles.Float, CultureInfo.InvariantCulture, out double at) || !double.IsFinite(at) || at < 0)
            {
                response.StatusCode = 400;
                await Send(response, "text/plain", "give ?at=SECONDS"u8.ToArray());
                return;
            }
            VisualState state = _log.StateAt(Math.Min(at, _log.Duration));
            byte[] buffer = new byte[Snapshot.MaxBytes];
            int length = Snapshot.Write(buffer, state, 1, FramePump.NowUnixMs(), 0, still: true);
            await Send(response, "application/octet-stream", buffer.AsSpan(0, length).ToArray());
            return;
        }
        if (path == "/") path = "/index.html";
        string? resource = path.StartsWith("/shaders/", StringComparison.Ordinal) ? "shaders/" + path["/shaders/".Length..]
            : path.Count(c => c == '/') == 1 ? "page" + path : null;
        byte[]? file = resource is null ? null : Resources.Get(resource);
        if (file is null) { response.StatusCode = 404; return; }
        await Send(response, ContentType(resource!), file);
    }

    private static Task Send(HttpResponse response, string type, byte[] body)
    {
        response.ContentType = type;
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".json" => "application/json",
        _ => "text/plain; charset=utf-8",
    };

    /// <summary>
    /// One page: its queue's messages out as they come; text in is a clock ping ("ping T", answered
    /// "pong T SERVER-MS": the page's latency figure is on the server's clock) and nothing else.
    /// </summary>
    private async Task Serve(WebSocket socket, double gatherMs, CancellationToken aborted)
    {
        Client client = _pump.Join();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var sendLock = new SemaphoreSlim(1, 1);
        async Task SendText(string text)
        {
            await sendLock.WaitAsync(done.Token);
            try { await socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, done.Token); }
            finally { sendLock.Release(); }
        }
        void OnStatus(string json) => _ = SendText(json).ContinueWith(_ => { }, TaskScheduler.Default);
        _pump.StatusChanged += OnStatus;
        Task receiving = Task.Run(async () =>
        {
            byte[] buffer = new byte[256];
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    WebSocketReceiveResult r = await socket.ReceiveAsync(buffer, done.Token);
                    if (r.MessageType == WebSocketMessageType.Close) break;
                    if (r.MessageType != WebSocketMessageType.Text || !r.EndOfMessage) continue;
                    string text = Encoding.UTF8.GetString(buffer, 0, r.Count);
                    if (text.StartsWith("ping ", StringComparison.Ordinal) && text.Length < 64)
                        await SendText($"pong {text[5..]} {FramePump.NowUnixMs().ToString("R", CultureInfo.InvariantCulture)}");
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
            finally { done.Cancel(); }
        });
        try
        {
            await SendText(_pump.StatusJson);
            ChannelReader<byte[]> queue = client.Queue.Reader;
            byte[] batch = new byte[MaxBatch * Snapshot.MaxBytes];
            long lastSend = 0;
            while (await queue.WaitToReadAsync(done.Token))
            {
                if (gatherMs > 0)
                {
                    double since = Stopwatch.GetElapsedTime(lastSend).TotalMilliseconds;
                    if (since < gatherMs) await Task.Delay(TimeSpan.FromMilliseconds(gatherMs - since), done.Token);
                    lastSend = Stopwatch.GetTimestamp();
                }
                // Every message waiting goes in one WebSocket message (each snapshot says its own
                // length): a page or server that fell behind catches up in one send, not hundreds.
                int length = 0;
                for (int n = 0; n < MaxBatch && queue.TryRead(out byte[]? message); n++)
                {
                    message.CopyTo(batch, length);
                    length += message.Length;
                }
                await sendLock.WaitAsync(done.Token);
                try { await socket.SendAsync(batch.AsMemory(0, length), WebSocketMessageType.Binary, true, done.Token); }
                finally { sendLock.Release(); }
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        finally
        {
            _pump.StatusChanged -= OnStatus;
            _pump.Leave(client);
            done.Cancel();
            await receiving;
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(timeout.Token);
        await _app.DisposeAsync();
    }
}

/// <summary>The page and the shaders, embedded in this program.</summary>
public static class Resources
{
    private static readonly Dictionary<string, byte[]> Cache = [];

    public static byte[]? Get(string name)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(name, out byte[]? bytes)) return bytes;
            using Stream? stream = typeof(Resources).Assembly.GetManifestResourceStream(name);
            if (stream is null) return null;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return Cache[name] = copy.ToArray();
        }
    }
}
