using System.Numerics;
using Losses.Protocol;

namespace Losses.Visualiser.Scenes;

/// <summary>A cubic that was being learned when a new target arrived: it lingers, fades and drifts.</summary>
public readonly record struct LingeringCubic(Float4 Target, Float4 Theta, double BornSeconds, Vector2 Drift);

/// <summary>A bubble of Distortion 2, spawned by one key press in part 4.</summary>
/// <param name="Centre">Centre as a fraction of the frame's width and height.</param>
public readonly record struct Bubble(Vector2 Centre, double BornSeconds);

/// <summary>
/// What the visuals remember between engine frames: the latest frame, the cubics that linger after
/// a new target, and the live bubbles. Fed every frame in order (so no key press is missed); knows
/// nothing of OpenGL. Times are seconds of the engine's sample clock.
/// </summary>
public sealed class VisualState(int seed = 1)
{
    public const double LingerSeconds = 8;
    public const double BubbleSeconds = 1.5;
    public const int MaxLingering = 12;
    /// <summary>Bubbles alive at once (the oldest gives way).</summary>
    public const int MaxBubbles = 64;
    /// <summary>Drift of a lingering curve, pixels per second.</summary>
    public const float DriftSpeed = 14;

    private readonly List<LingeringCubic> _lingering = [];
    private readonly List<Bubble> _bubbles = [];
    private readonly int _seed = seed;
    private Random _random = new(seed);
    private Frame _current;

    public bool HasFrame { get; private set; }
    public ref readonly Frame Current => ref _current;
    /// <summary>Sample clock of the latest frame, in seconds.</summary>
    public double FrameSeconds => HasFrame && _current.SampleRate > 0 ? (double)_current.SampleTime / _current.SampleRate : 0;
    /// <summary>Frames applied since the last reset.</summary>
    public long FramesApplied { get; private set; }
    /// <summary>Key presses that spawned a bubble since the last reset.</summary>
    public long BubblesSpawned { get; private set; }
    public IReadOnlyList<LingeringCubic> Lingering => _lingering;
    public IReadOnlyList<Bubble> Bubbles => _bubbles;

    /// <summary>Takes in the next frame of the engine.</summary>
    public void Apply(in Frame frame)
    {
        double rate = frame.SampleRate > 0 ? frame.SampleRate : 48000;
        double seconds = frame.SampleTime / rate;
        if (HasFrame && _current.Model == FrameModel.Cubic && frame.CubicTargets != _current.CubicTargets)
        {
            // The curve being learned gives way to a new target: it lingers.
            if (_lingering.Count == MaxLingering) _lingering.RemoveAt(0);
            float angle = (float)(_random.NextDouble() * Math.Tau);
            _lingering.Add(new LingeringCubic(_current.Target, _current.Theta, seconds, new Vector2(MathF.Cos(angle), MathF.Sin(angle)) * DriftSpeed));
        }
        if (frame.Part == 4)
        {
            int presses = Math.Clamp(frame.NoteOnCount, 0, Frame.MaxNoteOns);
            for (int i = 0; i < presses; i++)
            {
                // Oldest bubbles give way when more are alive than the shader takes.
                if (_bubbles.Count == MaxBubbles) _bubbles.RemoveAt(0);
                var centre = new Vector2(0.15f + 0.7f * (float)_random.NextDouble(), 0.15f + 0.7f * (float)_random.NextDouble());
                _bubbles.Add(new Bubble(centre, frame.NoteOns[i].SampleTime / rate));
                BubblesSpawned++;
            }
        }
        _current = frame;
        HasFrame = true;
        FramesApplied++;
    }

    /// <summary>Forgets what faded by <paramref name="now"/>.</summary>
    public void Expire(double now)
    {
        _lingering.RemoveAll(l => now - l.BornSeconds > LingerSeconds);
        _bubbles.RemoveAll(b => now - b.BornSeconds > BubbleSeconds);
    }

    /// <summary>A new engine (or a new log): start from nothing.</summary>
    public void Reset()
    {
        _lingering.Clear();
        _bubbles.Clear();
        _random = new Random(_seed);
        _current = default;
        HasFrame = false;
        FramesApplied = 0;
        BubblesSpawned = 0;
    }
}
