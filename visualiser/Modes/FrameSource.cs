using Losses.Protocol;
using Losses.Protocol.Osc;

namespace Losses.Visualiser.Modes;

/// <summary>Where the live window's frames come from: the engine's ring, or OSC from `losses osc --frame-blob` on another machine.</summary>
public interface IFrameSource : IDisposable
{
    /// <summary>The next frame, in order; false when none is waiting.</summary>
    bool TryRead(out Frame frame);
    /// <summary>Changes when a new engine run starts (its frames are new to us).</summary>
    long Generation { get; }
    long Seen { get; }
    /// <summary>Frames that never reached us: lapped in the ring, or datagrams lost on the network.</summary>
    long Lost { get; }
    RingState State { get; }
    /// <summary>One line for the console and the screen about the current state.</summary>
    string Describe();
}

public sealed class RingFrameSource(string ring) : IFrameSource
{
    private readonly FrameRingReader _reader = Open(ring);

    public long Generation => _reader.Generation;
    public long Seen => _reader.Seen;
    public long Lost => _reader.Lost;
    public RingState State => _reader.State;

    public bool TryRead(out Frame frame)
    {
        try { return _reader.TryRead(out frame); }
        catch (RingException e) { throw new VisualiserException(e.Message); }
    }

    public string Describe() => State switch
    {
        RingState.WaitingForEngine => $"waiting for the engine on ring '{ring}' (start it, e.g. losses render IN.mid -o x.wav --ring {ring} --realtime)",
        RingState.Live => $"following the engine on ring '{ring}' (generation {Generation})",
        RingState.Stalled => $"engine stopped: no heartbeat on ring '{ring}' for {_reader.HeartbeatAgeMs / 1000.0:0.0} s (killed or hung); waiting for it to start again",
        _ => $"the engine on ring '{ring}' stopped: waiting for it to start again",
    };

    public void Dispose() => _reader.Dispose();

    private static FrameRingReader Open(string ring)
    {
        try { return FrameRingReader.Open(ring, RingJoin.Latest); }
        catch (RingException e) { throw new VisualiserException(e.Message); }
    }
}

/// <summary>
/// Frames sent as /losses/frame blobs over UDP. Like a lapped ring reader it counts what it lost
/// (the gaps in the frame index) and carries on; a frame index that starts again from the
/// beginning is a new engine run. Silence for a second reads as a stopped engine.
/// </summary>
public sealed class OscFrameSource : IFrameSource
{
    private const double SilenceSeconds = 1;
    /// <summary>A frame bundle is a few hundred bytes; anything far larger is no frame.</summary>
    private const int MaxPacket = 8192;
    private readonly OscReceiver _receiver;
    private long _expected = -1;
    private long _lastFrameMs;

    /// <summary>On loopback, from this machine only (tests, and a sender on the same machine).</summary>
    public OscFrameSource(int port) : this(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), OscSenders.LoopbackOnly)
    {
    }

    public OscFrameSource(System.Net.IPEndPoint local, OscSenders senders)
    {
        try { _receiver = new OscReceiver(local, senders, timeoutMs: 1); }
        catch (IOException e) { throw new VisualiserException(e.Message); }
    }

    public int Port => _receiver.Port;
    /// <summary>"127.0.0.1:9100 (this machine only)".</summary>
    public string Where => $"{OscListen.Describe(_receiver.Local)} ({_receiver.Senders.Description})";
    /// <summary>Every datagram that arrived (empty and refused ones included).</summary>
    public long Datagrams { get; private set; }
    /// <summary>Datagrams from senders not on the list: never read.</summary>
    public long Refused => _receiver.Refused;
    public long Generation { get; private set; }
    public long Seen { get; private set; }
    public long Lost { get; private set; }
    /// <summary>Datagrams that were not a frame (malformed, another layout, other addresses).</summary>
    public long Rejected { get; private set; }
    /// <summary>Well-formed packets without a frame (the other /losses/ messages, when one --to feeds both).</summary>
    public long Ignored { get; private set; }
    public string? LastProblem { get; private set; }
    public RingState State => Received == 0 ? RingState.WaitingForEngine
        : Environment.TickCount64 - _lastFrameMs > SilenceSeconds * 1000 ? RingState.Stopped : RingState.Live;

    /// <summary>Valid frames received, in the order they came (before any ordering).</summary>
    public long Received { get; private set; }

    /// <summary>The next valid frame as it came off the network — no ordering, no run detection (a capture orders them itself).</summary>
    public bool TryReadAny(out Frame frame)
    {
        while (_receiver.Pending)
        {
            int n = _receiver.Receive();
            if (n == OscReceiver.Nothing) break;
            Datagrams++;
            if (n == OscReceiver.RefusedSender) continue;
            if (n > MaxPacket)
            {
                Rejected++;
                LastProblem = "a datagram too large for a frame";
                continue;
            }
            if (!FrameBlob.TryReadPacket(_receiver.Datagram, out frame, out string? problem))
            {
                if (problem is null) Ignored++;
                else { Rejected++; LastProblem = problem; }
                continue;
            }
            Received++;
            _lastFrameMs = Environment.TickCount64;
            return true;
        }
        frame = default;
        return false;
    }

    public bool TryRead(out Frame frame)
    {
        while (TryReadAny(out frame))
        {
            if (_expected >= 0 && frame.Index < _expected)
            {
                // Back to the start: a new engine run. Anything else behind us is a late datagram, already counted lost.
                if (frame.Index > 64 && _expected - frame.Index < 1 << 20) continue;
                _expected = -1;
            }
            if (_expected < 0) Generation++;
            else Lost += frame.Index - _expected;
            _expected = frame.Index + 1;
            Seen++;
            return true;
        }
        frame = default;
        return false;
    }

    public string Describe() => State switch
    {
        RingState.WaitingForEngine => $"waiting for frames on UDP {Where} (send them: losses osc --frame-blob --to THIS-HOST:{Port})",
        RingState.Live => $"following frames on UDP {Port} (run {Generation})",
        _ => $"no frames on UDP {Port} for a second: waiting for them to come back",
    };

    public void Dispose() => _receiver.Dispose();
}
