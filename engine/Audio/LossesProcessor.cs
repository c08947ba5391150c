using System.Numerics.Tensors;
using Losses.Engine.Config;
using Losses.Engine.Learning;
using Losses.Engine.Midi;
using Losses.Engine.Parts;
using Losses.Engine.Synthesis;
using Losses.Platform;
using Losses.Protocol;

namespace Losses.Engine.Audio;

/// <summary>
/// The whole engine per audio block, driven alike by every backend (offline WAV render, JACK,
/// ASIO, tests, benchmarks), so an offline render is the live performance bit for bit.
/// <see cref="Prepare"/> allocates everything; <see cref="Process"/> never allocates, locks,
/// logs, throws or does I/O, and copes with any block length including zero.
///
/// Inside a block the work happens at exact samples of the engine's own clock: control-rate
/// updates every <see cref="VoiceBank.ControlPeriod"/> samples, then the events due at that
/// sample, then a held chord's step if one falls there — never at the host's block edges, so
/// the output does not depend on the buffer size.
/// </summary>
public sealed class LossesProcessor
{
    private readonly EngineConfig _config;
    private ulong _seed;
    private readonly VectorWidth? _width;
    private VoiceBank? _voices;
    private Piece? _piece;
    private float _gain;
    private float _threshold;
    private float _ceiling;
    private long _nextControl;
    private Frame _frame;
    private int[] _targetsInFrame = [];
    private readonly ModelCatalog _catalog;
    private FrameModel[] _wire = []; // by the piece's model index: its kind on the wire
    private float _framePeakLeft, _framePeakRight;

    /// <param name="width">The voice bank's vector path; null: the process's (<see cref="VectorPath.Chosen"/>).</param>
    /// <param name="models">The models the config's parts may name; null: <see cref="ModelCatalog.BuiltIn"/>.</param>
    public LossesProcessor(EngineConfig config, ulong seed, VectorWidth? width = null, ModelCatalog? models = null)
    {
        _config = config;
        _seed = seed;
        _width = width;
        _catalog = models ?? ModelCatalog.BuiltIn;
    }

    public EngineConfig Config => _config;
    public ulong Seed => _seed;
    public int SampleRate { get; private set; }
    /// <summary>The engine's sample clock: samples processed since <see cref="Prepare"/>.</summary>
    public long SampleTime { get; private set; }
    /// <summary>The sample from which no voice has sounded, or −1 while any does.</summary>
    public long SilentSince { get; private set; }
    public float PeakLeft { get; private set; }
    public float PeakRight { get; private set; }

    /// <summary>
    /// Where frames go: a ring, a frame log, or both (set before the audio starts). A frame is
    /// published at every gradient step, new target and part change, whenever 16 key presses are
    /// waiting, and at the end of every block — from the audio thread, without allocating.
    /// </summary>
    public IFrameSink? FrameSink { get; set; }
    /// <summary>Frames published since <see cref="Prepare"/>.</summary>
    public long FramesPublished { get; private set; }

    public VoiceBank Voices => _voices ?? throw new InvalidOperationException("Prepare the processor first.");
    public Piece Piece => _piece ?? throw new InvalidOperationException("Prepare the processor first.");

    /// <summary>Allocates everything for this sample rate and largest block; starts the piece from the top.</summary>
    public void Prepare(int sampleRate, int maxBlock)
    {
        if (!Limits.IsSampleRate(sampleRate)) throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, $"sample rate must be {Limits.SampleRates} Hz");
        if (maxBlock < 1) throw new ArgumentOutOfRangeException(nameof(maxBlock), maxBlock, "block must be at least 1 sample");
        SampleRate = sampleRate;
        _voices = new VoiceBank(_config.Voice, sampleRate, _config.Detune.Max, _seed, Tuning.From(_config.Tuning), _width);
        _piece = new Piece(_config, sampleRate, _voices, _seed, _catalog.PartsFor(_config));
        _wire = new FrameModel[_piece.Models.Length];
        for (int m = 0; m < _wire.Length; m++) _wire[m] = _catalog.WireOf(_piece.ModelName(m));
        _gain = MathF.Pow(10f, _config.Master.GainDb / 20f);
        _threshold = _config.Master.LimiterThreshold;
        _ceiling = _config.Master.LimiterCeiling;
        SampleTime = 0;
        SilentSince = 0;
        _nextControl = 0;
        _frame = default;
        _targetsInFrame = new int[_piece.Models.Length];
        FramesPublished = 0;
    }

    /// <summary>
    /// The piece from the top at <paramref name="sample"/> of the clock (a host's timeline position,
    /// ≥ 0), between blocks and without allocating: from there on the output is what a processor
    /// fresh from <see cref="Prepare"/> gives for the same events from sample 0 with nothing before
    /// <paramref name="sample"/> — the control grid and the held-chord steps stay where they fall on
    /// that clock. The master gain stays as set; frames count again from 0 (as after a new Prepare).
    /// <paramref name="seed"/>: the piece draws as with this seed from here on (null: the one it has).
    /// </summary>
    public void Restart(long sample, ulong? seed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sample);
        if (seed is { } s) _seed = s;
        int intoPeriod = (int)(sample % VoiceBank.ControlPeriod);
        Voices.Restart(elapsed: intoPeriod, _seed);
        Piece.Restart(_seed);
        SampleTime = sample;
        SilentSince = sample;
        _nextControl = intoPeriod == 0 ? sample : sample - intoPeriod + VoiceBank.ControlPeriod;
        _frame = default;
        Array.Clear(_targetsInFrame);
        _framePeakLeft = _framePeakRight = 0f;
        PeakLeft = PeakRight = 0f;
        FramesPublished = 0;
    }

    /// <summary>A host's master-gain control (the plugin's): from the next sample on; no allocation.</summary>
    public void SetMasterGain(float gainDb) => _gain = MathF.Pow(10f, Math.Clamp(gainDb, -60f, 12f) / 20f);

    /// <summary>
    /// Renders one block into <paramref name="left"/> and <paramref name="right"/> (same length),
    /// applying each event at its sample offset. Offsets outside the block are clamped into it;
    /// events must be in offset order (a late one is applied as soon as it is seen).
    /// </summary>
    public void Process(Span<float> left, Span<float> right, ReadOnlySpan<MidiEvent> events)
    {
        VoiceBank voices = _voices!;
        Piece piece = _piece!;
        int n = Math.Min(left.Length, right.Length);
        int last = Math.Max(n - 1, 0);
        int pos = 0, next = 0;
        float peakL = 0f, peakR = 0f;

        while (true)
        {
            if (pos == n && n > 0) break;
            if (SampleTime == _nextControl)
            {
                voices.ControlUpdate();
                _nextControl += VoiceBank.ControlPeriod;
                if (voices.ActiveVoices > 0) SilentSince = -1;
                else if (SilentSince < 0) SilentSince = SampleTime;
            }
            while (next < events.Length && Math.Clamp(events[next].Offset, 0, last) <= pos)
            {
                piece.Handle(events[next], SampleTime);
                next++;
                if (piece.Changes != PieceChanges.None || piece.PressesFull) Publish(piece, voices);
            }
            if (piece.NextStepSample <= SampleTime)
            {
                piece.ContinuousStep(SampleTime);
                if (piece.Changes != PieceChanges.None) Publish(piece, voices);
            }
            if (pos == n) break; // a zero-length block only delivers its events

            int length = n - pos;
            length = (int)Math.Min(length, _nextControl - SampleTime);
            if (next < events.Length) length = Math.Min(length, Math.Clamp(events[next].Offset, 0, last) - pos);
            long toStep = piece.NextStepSample - SampleTime;
            if (toStep < length) length = (int)toStep;

            Span<float> l = left.Slice(pos, length);
            Span<float> r = right.Slice(pos, length);
            voices.Render(l, r);
            if (length > 0) // TensorPrimitives.MaxMagnitude throws on an empty span
            {
                // Gain and peak are exact per element, so the vector width cannot change a bit of the output.
                TensorPrimitives.Multiply(l, _gain, l);
                TensorPrimitives.Multiply(r, _gain, r);
                peakL = MathF.Max(peakL, LimitAll(l));
                peakR = MathF.Max(peakR, LimitAll(r));
            }
            pos += length;
            SampleTime += length;
            _framePeakLeft = MathF.Max(_framePeakLeft, peakL);
            _framePeakRight = MathF.Max(_framePeakRight, peakR);
        }
        PeakLeft = peakL;
        PeakRight = peakR;
        Publish(piece, voices);
    }

    /// <summary>Fills the frame from the piece and hands it to the sink; clears what it reported.</summary>
    private void Publish(Piece piece, VoiceBank voices)
    {
        IFrameSink? sink = FrameSink;
        if (sink is null)
        {
            piece.ClearChanges();
            return;
        }
        ref Frame f = ref _frame;
        f.Index = FramesPublished;
        f.SampleTime = SampleTime;
        f.SampleRate = SampleRate;
        f.Part = piece.Part;
        f.Model = piece.CurrentIndex >= 0 ? _wire[piece.CurrentIndex] : FrameModel.None;
        f.Flags = WireFlags(piece.Changes);
        f.TargetSteps = piece.TargetSteps;
        f.TotalSteps = piece.GradientSteps;
        f.Loss = piece.Loss;
        f.Detune = piece.Detune;
        f.Target = default;
        f.Theta = default;
        f.Gradient = default;
        f.KnotN = default;
        ReadOnlySpan<Model> models = piece.Models;
        for (int m = 0; m < models.Length; m++)
        {
            Model model = models[m];
            // The wire format keeps a target count for the two built-in kinds: the cubic's at 48, the knot's at 52.
            if (_wire[m] == FrameModel.Cubic) f.CubicTargets = model.Targets;
            else if (_wire[m] == FrameModel.Knot) f.KnotTargets = model.Targets;
            if (model == piece.Current)
            {
                model.Target.CopyTo(f.Target);
                model.Theta.CopyTo(f.Theta);
                model.Gradient.CopyTo(f.Gradient);
                model.Integers.CopyTo(f.KnotN);
            }
            // What a model keeps in the frame until its next target (the cubic's points) is written once per target.
            if (model.Targets == _targetsInFrame[m]) continue;
            _targetsInFrame[m] = model.Targets;
            ReadOnlySpan<float> points = model.PointX;
            if (points.IsEmpty) continue;
            int count = Math.Min(points.Length, Frame.MaxPoints);
            points[..count].CopyTo(f.Points);
            f.PointCount = count;
        }
        f.Voices = voices.ActiveVoices;
        f.PeakLeft = _framePeakLeft;
        f.PeakRight = _framePeakRight;
        int presses = piece.PendingPresses;
        f.NoteOnCount = presses;
        for (int i = 0; i < presses; i++)
        {
            f.NoteOns[i].SampleTime = piece.PressSample(i);
            f.NoteOns[i].Note = piece.PressNote(i);
            f.NoteOns[i].Velocity = piece.PressVelocity(i);
        }
        piece.HeldVelocities.CopyTo(f.Velocities);
        sink.Publish(in f);
        FramesPublished++;
        _framePeakLeft = _framePeakRight = 0f;
        piece.ClearChanges();
    }

    /// <summary>The frame's flags for what changed in the piece since the last frame.</summary>
    private static FrameFlags WireFlags(PieceChanges changes) =>
        ((changes & PieceChanges.Stepped) != 0 ? FrameFlags.Stepped : 0)
        | ((changes & PieceChanges.NewTarget) != 0 ? FrameFlags.NewTarget : 0)
        | ((changes & PieceChanges.PartChanged) != 0 ? FrameFlags.PartChanged : 0)
        | ((changes & PieceChanges.Reset) != 0 ? FrameFlags.Reset : 0);

    /// <summary>
    /// Limits the samples in place and gives the largest magnitude after. A run that stays below the
    /// threshold (most of them) is left as it is, so one vector pass replaces a branch per sample; a NaN
    /// fails the comparison and goes through <see cref="Limit"/> like the rest of a loud run.
    /// </summary>
    private float LimitAll(Span<float> x)
    {
        float peak = MathF.Abs(TensorPrimitives.MaxMagnitude(x));
        if (peak <= _threshold) return peak;
        for (int i = 0; i < x.Length; i++) x[i] = Limit(x[i]);
        return MathF.Abs(TensorPrimitives.MaxMagnitude(x));
    }

    /// <summary>Linear below the threshold, then a tanh knee that approaches but never reaches the ceiling.</summary>
    private float Limit(float x)
    {
        float a = MathF.Abs(x);
        if (a <= _threshold) return x;
        if (!float.IsFinite(x)) return 0f;
        float headroom = _ceiling - _threshold;
        float y = _threshold + headroom * MathF.Tanh((a - _threshold) / headroom);
        return x < 0 ? -y : y;
    }
}
