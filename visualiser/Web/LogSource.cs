using System.Diagnostics;
using Losses.Platform;
using Losses.Protocol;
using Losses.Visualiser;
using Losses.Visualiser.Modes;
using Losses.Visualiser.Scenes;

namespace Losses.Web;

/// <summary>
/// A frame log played back at the pace it was recorded (a performance reviewed in the browser), and
/// the state at any time of it for a still (the page's side of `visualise --frames … -o still.png`).
/// </summary>
public sealed class LogSource : IFrameSource
{
    private readonly FrameLogReader _log;
    private readonly string _path;
    private readonly Stopwatch _clock = new();
    private long _next;
    private long _generation = 1;

    public LogSource(string path)
    {
        _path = path;
        try
        {
            _log = FrameLogReader.Open(path);
            if (_log.Count == 0) throw new VisualiserException($"{path}: the frame log holds no frames (render again with --frames)");
            _log.CheckTimes(path, Limits.DefaultMaxSeconds);
        }
        catch (FrameLogException e)
        {
            throw new VisualiserException(e.Message);
        }
    }

    public long Generation => _generation;
    public bool Ended => _next >= _log.Count;

    /// <summary>From the beginning again, as a new run (a page that joins after the end sees it all).</summary>
    public void Restart()
    {
        _next = 0;
        _generation++;
        _clock.Reset();
    }
    public long Seen => _next;
    public long Lost => 0;
    public RingState State => _next == 0 ? RingState.WaitingForEngine : _next < _log.Count ? RingState.Live : RingState.Stopped;
    public double Duration => (double)_log.Read(_log.Count - 1).SampleTime / _log.SampleRate;

    public bool TryRead(out Frame frame)
    {
        if (!_clock.IsRunning) _clock.Start();
        long now = (long)(_clock.Elapsed.TotalSeconds * _log.SampleRate);
        if (_next < _log.Count)
        {
            frame = _log.Read(_next);
            if (frame.SampleTime <= now)
            {
                _next++;
                return true;
            }
        }
        frame = default;
        return false;
    }

    /// <summary>The visuals' state at <paramref name="seconds"/>: every frame at or before that sample, as the offline render applies them.</summary>
    public VisualState StateAt(double seconds)
    {
        // Its own reader: the playback reads the other one on the frame thread.
        using FrameLogReader log = FrameLogReader.Open(_path);
        var state = new VisualState();
        long sample = (long)Math.Floor(seconds * log.SampleRate);
        for (long i = 0; i < log.Count; i++)
        {
            Frame f = log.Read(i);
            if (f.SampleTime > sample) break;
            state.Apply(f);
        }
        state.Expire(seconds);
        return state;
    }

    public string Describe() => State switch
    {
        RingState.Live => $"playing the frame log {_path}",
        RingState.WaitingForEngine => $"starting the frame log {_path}",
        _ => $"the frame log {_path} has ended (reload the page for a still: ?at=SECONDS)",
    };

    public void Dispose() => _log.Dispose();
}
