using System.Diagnostics;
using System.Threading.Channels;
using Losses.Protocol;
using Losses.Visualiser;
using Losses.Visualiser.Modes;
using Losses.Visualiser.Scenes;

namespace Losses.Web;

/// <summary>A page's WebSocket: its own queue of messages. A page that falls behind loses the oldest (it sees the gap) and never holds anyone up.</summary>
public sealed class Client
{
    /// <summary>About 1.4 s of frames at 64-sample blocks (≈ 1.5 MB): a page's or the server's pause shorter than that loses nothing.</summary>
    public const int QueueLength = 1024;

    public Channel<byte[]> Queue { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(QueueLength)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
        SingleWriter = true,
    });
}

/// <summary>
/// The one thread that follows the engine: reads every frame from the source (the ring, UDP frame
/// blobs, or a frame log replayed at its own pace), keeps the <see cref="VisualState"/> the native
/// visualiser would, and hands every page a self-contained message for each frame. The ring is
/// mapped read-only: nothing here can slow the engine, and a slow page only loses its own messages.
/// </summary>
public sealed class FramePump : IDisposable
{
    private readonly IFrameSource _source;
    private readonly Lock _lock = new();
    private readonly List<Client> _clients = [];
    private readonly VisualState _state = new();
    private readonly byte[] _buffer = new byte[Snapshot.MaxBytes];
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _generation = -1;
    private RingState _shown = (RingState)(-1);

    public FramePump(IFrameSource source)
    {
        _source = source;
        _thread = new Thread(Run) { IsBackground = true, Name = "losses-web frames" };
    }

    /// <summary>The source's state and its line for the page (waiting, following, stopped).</summary>
    public string StatusJson { get; private set; } = "{\"type\":\"status\",\"live\":false,\"line\":\"starting\"}";
    public long FramesRead { get; private set; }
    public long Lost => _source.Lost;
    public event Action<string>? StatusChanged;

    public void Start() => _thread.Start();

    public Client Join()
    {
        var client = new Client();
        lock (_lock) _clients.Add(client);
        _joined = true;
        return client;
    }

    private volatile bool _joined;

    public void Leave(Client client)
    {
        lock (_lock) _clients.Remove(client);
        client.Queue.Writer.TryComplete();
    }

    public int Clients { get { lock (_lock) return _clients.Count; } }

    private void Run()
    {
        while (!_stop)
        {
            if (_source is LogSource log)
            {
                // A frame log plays from its start when the first page comes, and again for a page that comes after its end.
                if (Clients == 0) { Thread.Sleep(5); continue; }
                if (_joined && log.Ended) log.Restart();
                _joined = false;
            }
            bool any = false;
            try
            {
                while (_source.TryRead(out Frame frame))
                {
                    any = true;
                    if (_source.Generation != _generation)
                    {
                        _generation = _source.Generation;
                        _state.Reset();
                    }
                    _state.Apply(frame);
                    _state.Expire(_state.FrameSeconds);
                    FramesRead++;
                    Publish();
                }
            }
            catch (VisualiserException e)
            {
                SetStatus(false, e.Message);
                Thread.Sleep(200);
                continue;
            }
            if (_source.State != _shown)
            {
                _shown = _source.State;
                SetStatus(_shown == RingState.Live, _source.Describe());
            }
            if (any) continue;
            // Frames come at most every block (≈ 1.3 ms at 64 samples): a millisecond's sleep puts a
            // frame on its way within about a millisecond of its publication. Without an engine, a
            // look every 20 ms is enough.
            Thread.Sleep(_shown == RingState.Live ? 1 : 20);
        }
    }

    private void SetStatus(bool live, string line)
    {
        StatusJson = System.Text.Json.JsonSerializer.Serialize(new { type = "status", live, line });
        StatusChanged?.Invoke(StatusJson);
    }

    private void Publish()
    {
        int length = Snapshot.Write(_buffer, _state, _generation, NowUnixMs(), _source.Lost, still: false);
        byte[]? message = null;
        lock (_lock)
        {
            foreach (Client c in _clients)
            {
                message ??= _buffer.AsSpan(0, length).ToArray();
                c.Queue.Writer.TryWrite(message);
            }
        }
    }

    /// <summary>A precise Unix clock (ms): the page measures publish → drawn against it.</summary>
    public static double NowUnixMs() => (Stopwatch.GetTimestamp() - StartTimestamp) * 1000.0 / Stopwatch.Frequency + StartUnixMs;

    private static readonly long StartTimestamp = Stopwatch.GetTimestamp();
    private static readonly double StartUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public void Dispose()
    {
        _stop = true;
        if (_thread.IsAlive) _thread.Join(1000);
        _source.Dispose();
    }
}
