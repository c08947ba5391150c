using Losses.Protocol;

namespace Losses.Engine.Cli;

/// <summary>
/// What a command that follows a ring (`watch`, `osc`) tells the performer on stderr: waiting for the
/// engine, reading it, an engine restart, frames dropped, the engine stopped — each once, when it changes.
/// </summary>
internal sealed class RingFollowLines(FrameRingReader reader)
{
    private RingState _state = (RingState)(-1);
    private long _generation, _lost;

    /// <summary>After each frame read: a restart or a loss since the last frame.</summary>
    public void AfterFrame()
    {
        if (reader.Generation != _generation)
        {
            if (_generation != 0) Console.Error.WriteLine($"engine restarted (generation {reader.Generation})");
            _generation = reader.Generation;
        }
        if (reader.Lost != _lost)
        {
            Console.Error.WriteLine($"dropped {reader.Lost - _lost} frames (total {reader.Lost})");
            _lost = reader.Lost;
        }
    }

    /// <summary>After each poll: the reader's state, when it changed.</summary>
    public void AfterPoll()
    {
        if (reader.State == _state) return;
        _state = reader.State;
        string message = _state switch
        {
            RingState.WaitingForEngine => $"waiting for the engine on ring '{reader.Name}' ({RingLayout.PathFor(reader.Name)})...",
            RingState.Stopped => "the engine stopped; waiting for it to start again...",
            RingState.Stalled => $"engine stopped: no heartbeat for {reader.HeartbeatAgeMs / 1000.0:0.0} s (killed or hung); waiting for it to start again...",
            _ => $"reading ring '{reader.Name}' (generation {reader.Generation}, {reader.Capacity} slots)",
        };
        Console.Error.WriteLine(message);
    }
}
