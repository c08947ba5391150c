using Losses.Protocol;

namespace Losses.Visualiser.Modes;

/// <summary>
/// Puts the frames a remote engine sends back in order, in bounded memory: frames within a window of
/// <see cref="Window"/> indices are held until the ones before them arrive (UDP reorders); a frame
/// older than what was already handed on is late, and dropped. A frame far from the stream — a stray
/// datagram, a replay, an old sender — is held aside and only taken as a new engine run (or as the
/// stream resuming after a long loss) when <see cref="Confirm"/> frames near it follow; until then
/// it is a stray, dropped. Frames handed on never go back in time: one that would is bad, dropped.
/// Every drop is counted; nothing ends the capture.
/// </summary>
public sealed class CaptureOrder(Action<Frame> emit, Action<string> newRun)
{
    /// <summary>How far out of order frames may arrive (frames; 4 s of steps at 60 a second).</summary>
    public const int Window = 256;
    /// <summary>Frames within a window of each other that make frames far from the stream a new run (or the stream resumed).</summary>
    public const int Confirm = 16;

    private readonly Frame[] _slots = new Frame[Window];
    private readonly bool[] _held = new bool[Window];
    private readonly List<Frame> _candidate = new(Confirm);
    private int _candidateLate; // of the frames held aside, those that were behind the stream (late, if no run follows)
    private long _next = -1; // the index handed on next; −1 before the first frame
    private long _highest = -1;
    private long _lastTime = -1;
    private int _rate;

    public long Emitted { get; private set; }
    /// <summary>Frames that never arrived (gaps the window moved past).</summary>
    public long Lost { get; private set; }
    /// <summary>Frames that came after their place was handed on (duplicates too).</summary>
    public long Late { get; private set; }
    /// <summary>Frames far from the stream that no run followed.</summary>
    public long Strays { get; private set; }
    /// <summary>Frames whose time went back, or whose sample rate was not the run's.</summary>
    public long Bad { get; private set; }
    public int Runs { get; private set; }

    public void Add(in Frame f)
    {
        if (_next < 0)
        {
            Start(f.Index);
            Place(in f);
            return;
        }
        if (f.Index >= _next && f.Index < _next + 2 * Window)
        {
            DropCandidate();
            Place(in f);
            return;
        }
        // Behind the stream (late, repeated, or a new run from its start) or far ahead (a stray, or the
        // stream resuming after a long loss): held aside; only when enough frames near it follow is it a run.
        bool behind = f.Index < _next && f.Index > _highest - Window;
        if (_candidate.Count == 0 || Math.Abs(f.Index - _candidate[0].Index) >= Window) DropCandidate();
        _candidate.Add(f);
        if (behind) _candidateLate++;
        if (_candidate.Count < Confirm) return;
        _candidate.Sort((x, y) => x.Index.CompareTo(y.Index));
        long first = _candidate[0].Index;
        Flush();
        if (first < _next)
        {
            newRun($"a new engine run began (frame {first} and {Confirm - 1} more near it, after frame {_highest}): keeping its frames only");
            _lastTime = -1;
            _rate = 0;
        }
        else Lost += first - _next;
        Start(first);
        List<Frame> run = [.. _candidate];
        _candidate.Clear();
        _candidateLate = 0;
        foreach (Frame c in run) Place(in c);
    }

    /// <summary>Hands on everything held, skipping the gaps (the capture is over).</summary>
    public void Flush()
    {
        if (_next < 0) return;
        while (_next <= _highest) Advance();
    }

    /// <summary>The capture is over: everything held handed on, the frames held aside counted as dropped.</summary>
    public void Finish()
    {
        Flush();
        DropCandidate();
    }

    private void Start(long index)
    {
        Array.Clear(_held);
        _next = index;
        _highest = index - 1;
        Runs++;
    }

    private void Place(in Frame f)
    {
        // Past the window: hand on (or count lost) what is before the new frame's window.
        while (f.Index >= _next + Window) Advance();
        int slot = (int)(f.Index % Window);
        if (_held[slot]) { Late++; return; } // the same index again
        _slots[slot] = f;
        _held[slot] = true;
        _highest = Math.Max(_highest, f.Index);
        while (_held[(int)(_next % Window)]) Advance();
    }

    private void Advance()
    {
        int slot = (int)(_next % Window);
        if (_held[slot])
        {
            _held[slot] = false;
            Emit(in _slots[slot]);
        }
        else if (_next <= _highest) Lost++;
        _next++;
    }

    private void Emit(in Frame f)
    {
        if (_rate == 0) _rate = f.SampleRate;
        if (f.SampleTime < _lastTime || f.SampleRate != _rate) { Bad++; return; }
        _lastTime = f.SampleTime;
        Emitted++;
        emit(f);
    }

    private void DropCandidate()
    {
        Late += _candidateLate;
        Strays += _candidate.Count - _candidateLate;
        _candidate.Clear();
        _candidateLate = 0;
    }
}
