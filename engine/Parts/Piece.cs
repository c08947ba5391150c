using Losses.Engine.Config;
using Losses.Engine.Core;
using Losses.Engine.Learning;
using Losses.Engine.Midi;
using Losses.Engine.Synthesis;

namespace Losses.Engine.Parts;

/// <summary>What happened since the processor last published a frame (the processor says it in the frame's flags).</summary>
[Flags]
public enum PieceChanges
{
    None = 0,
    Stepped = 1,
    NewTarget = 2,
    PartChanged = 4,
    Reset = 8,
}

/// <summary>
/// The four parts of the piece (docs/design.md): what a key or pedal does in each, which model is
/// trained, and which sounding notes the loss detunes. Called by the processor at the exact
/// sample of each event and step; nothing here allocates, locks or throws after construction.
/// </summary>
public sealed class Piece
{
    public const int MaxTargetRecords = TargetLog.Capacity;
    /// <summary>Key presses kept for the next frame; when full the processor publishes at once.</summary>
    public const int MaxPendingPresses = 16;
    private const int NoVoice = -1;

    private readonly PieceSettings _settings;
    private readonly LearningSettings _learning;
    private readonly VoiceBank _voices;
    private readonly double _sampleRate;
    private readonly long _knotIntervalSamples;
    private Rng _rng;
    private Rng _rngAtStart;

    private readonly bool[] _keyDown = new bool[128];
    private readonly bool[] _sustained = new bool[128];
    private readonly int[] _voiceOf = new int[128];
    private readonly long[] _serialOf = new long[128];
    private bool _sustainPedal;
    private bool _partPedal;
    private long _lastKnotSample;
    private readonly TargetLog _targets = new();
    private readonly float[] _scratchGradient = new float[Model.MaxParameters];
    private readonly Model[] _models;
    private readonly DetunePolicy _detunes;
    private readonly byte[] _heldVelocity = new byte[128];
    private readonly long[] _pressSample = new long[MaxPendingPresses];
    private readonly byte[] _pressNote = new byte[MaxPendingPresses];
    private readonly byte[] _pressVelocity = new byte[MaxPendingPresses];
    private int _resetsSeen;

    public Piece(EngineConfig config, double sampleRate, VoiceBank voices, ulong seed)
    {
        _settings = config.Piece;
        _learning = config.Learning;
        _voices = voices;
        _sampleRate = sampleRate;
        _knotIntervalSamples = (long)Math.Round(_settings.KnotIntervalSeconds * sampleRate);
        _rng = new Rng(seed, stream: 1);
        _rngAtStart = _rng;
        Cubic = new CubicModel(_learning.Cubic.Points, _learning.Loss, _learning.Cubic.LearningRate, _learning.Cubic.Descent, _learning.Cubic.BatchSize);
        Knot = new KnotModel(_learning.Knot.BatchSize, _learning.Loss, _learning.Knot.LearningRate,
            _learning.Knot.TMax, _learning.Knot.TStep, _learning.Knot.MaxFrequency, _learning.Knot.MinFrequency)
        { SumOverAxes = _learning.Knot.SumOverAxes };
        _models = [Cubic, Knot];
        _detunes = new DetunePolicy(config.Detune, _models.Length);
        foreach (Model model in _models) model.TracksResidual = _detunes.UsesResidual;
        Array.Fill(_voiceOf, NoVoice);
        Part = _settings.StartPart;
        PartsVisited = 1 << Part;
        NextStepSample = long.MaxValue;
    }

    /// <summary>The piece from the top, as constructed (with <paramref name="seed"/>, if given), without allocating (the voice bank is the caller's to restart).</summary>
    public void Restart(ulong? seed = null)
    {
        if (seed is { } s) _rngAtStart = new Rng(s, stream: 1);
        _rng = _rngAtStart;
        Array.Clear(_keyDown);
        Array.Clear(_sustained);
        Array.Fill(_voiceOf, NoVoice);
        Array.Clear(_serialOf);
        _sustainPedal = false;
        _partPedal = false;
        _lastKnotSample = 0;
        _targets.Clear();
        Array.Clear(_scratchGradient);
        foreach (Model model in _models) model.Reset();
        _detunes.Clear();
        Array.Clear(_heldVelocity);
        Array.Clear(_pressSample);
        Array.Clear(_pressNote);
        Array.Clear(_pressVelocity);
        _resetsSeen = 0;
        Part = _settings.StartPart;
        PartsVisited = 1 << Part;
        Current = null;
        NoteOns = 0;
        PartChanges = 0;
        GradientSteps = 0;
        Loss = 0f;
        NextStepSample = long.MaxValue;
        Changes = PieceChanges.None;
        PendingPresses = 0;
    }

    public CubicModel Cubic { get; }
    public KnotModel Knot { get; }
    /// <summary>Every model the piece trains, in <see cref="ModelKind"/> order.</summary>
    public ReadOnlySpan<Model> Models => _models;
    public int Part { get; private set; }
    /// <summary>The model this part trains, or null before its first target.</summary>
    public Model? Current { get; private set; }
    /// <summary>The kind of <see cref="Current"/>, None before its first target.</summary>
    public ModelKind ModelKind => Current?.Kind ?? ModelKind.None;

    public int NoteOns { get; private set; }
    public int PartChanges { get; private set; }
    /// <summary>Bit p set when part p has sounded.</summary>
    public int PartsVisited { get; private set; }
    public int CubicTargets => Cubic.Targets;
    public int KnotTargets => Knot.Targets;
    public long GradientSteps { get; private set; }
    public int Resets
    {
        get
        {
            int resets = 0;
            foreach (Model model in _models) resets += model.Resets;
            return resets;
        }
    }
    /// <summary>The loss of the last step of the current part's model (0 before any).</summary>
    public float Loss { get; private set; }
    /// <summary>Where the next continuous (held-chord) step falls on the sample clock; long.MaxValue when none is due.</summary>
    public long NextStepSample { get; private set; }
    public ReadOnlySpan<TargetRecord> Targets => _targets.First(TargetCount);

    private bool CubicPart => Part is 1 or 4;
    /// <summary>The model the current part trains.</summary>
    private Model PartModel => CubicPart ? Cubic : Knot;
    private int TargetCount
    {
        get
        {
            int targets = 0;
            foreach (Model model in _models) targets += model.Targets;
            return targets;
        }
    }

    /// <summary>What changed since <see cref="ClearChanges"/>.</summary>
    public PieceChanges Changes { get; private set; }
    /// <summary>Key presses since <see cref="ClearChanges"/>, in order (at most <see cref="MaxPendingPresses"/>).</summary>
    public int PendingPresses { get; private set; }
    public bool PressesFull => PendingPresses == MaxPendingPresses;
    public long PressSample(int i) => _pressSample[i];
    public int PressNote(int i) => _pressNote[i];
    public int PressVelocity(int i) => _pressVelocity[i];
    /// <summary>Velocity of each held note (key down or held by the pedal), 0 when not held.</summary>
    public ReadOnlySpan<byte> HeldVelocities => _heldVelocity;
    /// <summary>The detune the current loss gives the overtones, by the detune scale (<see cref="DetuneFor"/>: the start detune × L/L₀ by default), clamped.</summary>
    public float Detune => DetuneFor(Loss);
    /// <summary>Steps of the current part's model since its target was drawn.</summary>
    public long TargetSteps => Current?.Steps ?? 0;

    public void ClearChanges()
    {
        Changes = PieceChanges.None;
        PendingPresses = 0;
    }

    public void Handle(in MidiEvent e, long sample)
    {
        switch (e.Kind)
        {
            case 0x90 when e.Data2 > 0:
                NoteOn(e.Data1 & 0x7F, e.Data2, sample);
                break;
            case 0x80:
            case 0x90:
                NoteOff(e.Data1 & 0x7F);
                break;
            case 0xB0:
                Control(e.Data1, e.Data2, sample);
                break;
        }
        UpdateStepping(sample);
    }

    /// <summary>A held chord's step on the step-rate grid of the sample clock.</summary>
    public void ContinuousStep(long sample)
    {
        if (SteppingWhileHeld())
        {
            if (CubicPart)
            {
                Step(Cubic);
                DetuneHeldNotes(lowest: _settings.BassSplit);
            }
            else
            {
                Step(Knot);
                DetuneKnotNotes();
            }
        }
        UpdateStepping(sample, stepped: true);
    }

    private void NoteOn(int note, int velocity, long sample)
    {
        NoteOns++;
        ReleaseVoiceOf(note);
        _keyDown[note] = true;
        _sustained[note] = false;

        float detune = 0f;
        if (CubicPart)
        {
            if (note < _settings.BassSplit)
            {
                bool original = _settings.CubicStepping == CubicStepping.WhileHeld;
                // Stepping while held (the original): a new cubic steps when it starts, and again for the note-on.
                NewTarget(Cubic, sample, stepAtOnce: original);
                if (original)
                {
                    Step(Cubic);
                    detune = DetuneFor(Loss);
                    DetuneHeldNotes(lowest: _settings.BassSplit);
                }
            }
            else if (Cubic.Targets > 0 && _settings.CubicStepping == CubicStepping.Press)
            {
                Step(Cubic);
                detune = DetuneFor(Loss);
                DetuneHeldNotes(lowest: _settings.BassSplit);
            }
            else if (Cubic.Targets > 0)
            {
                // Stepping while held (the original): every note-on steps once, then the step-rate ticks.
                Step(Cubic);
                detune = DetuneFor(Loss);
                DetuneHeldNotes(lowest: _settings.BassSplit);
            }
        }
        else
        {
            if (note < _settings.ChordSplit && ChordHeld()
                && (Knot.Targets == 0 || sample - _lastKnotSample >= _knotIntervalSamples))
            {
                _lastKnotSample = sample;
                // The chord sounds at the new knot's first loss: step once where it lands (stepping always,
                // as the original, the first step comes with the next control tick).
                NewTarget(Knot, sample, stepAtOnce: _settings.KnotStepping != KnotStepping.Always);
                DetuneKnotNotes();
            }
            if (Knot.Targets > 0 && (_settings.KnotDetunes == KnotDetunes.AllHeld || note < _settings.ChordSplit)) detune = DetuneFor(Loss);
        }

        int voice = _voices.NoteOn(note, velocity, detune);
        _voiceOf[note] = voice;
        _serialOf[note] = _voices.SerialOf(voice);
        _heldVelocity[note] = (byte)velocity;
        if (PendingPresses < MaxPendingPresses)
        {
            _pressSample[PendingPresses] = sample;
            _pressNote[PendingPresses] = (byte)note;
            _pressVelocity[PendingPresses] = (byte)velocity;
            PendingPresses++;
        }
    }

    private void NoteOff(int note)
    {
        if (!_keyDown[note]) return;
        _keyDown[note] = false;
        if (_sustainPedal) _sustained[note] = true;
        else ReleaseVoiceOf(note);
    }

    private void Control(int controller, int value, long sample)
    {
        bool down = value >= 64;
        if (controller == _settings.PartPedalController)
        {
            if (down && !_partPedal) NextPart(sample);
            _partPedal = down;
        }
        else if (controller == _settings.SustainController && _settings.SustainHolds)
        {
            _sustainPedal = down;
            if (!down)
            {
                for (int note = 0; note < 128; note++)
                {
                    if (!_sustained[note]) continue;
                    _sustained[note] = false;
                    ReleaseVoiceOf(note);
                }
            }
        }
        else if (controller is 120 or 123)
        {
            ReleaseEverything();
        }
    }

    private void NextPart(long sample)
    {
        if (_settings.PartChange == PartChange.Release) ReleaseEverything();
        Part = Part % 4 + 1;
        PartChanges++;
        Changes |= PieceChanges.PartChanged;
        PartsVisited |= 1 << Part;
        Current = PartModel.Targets > 0 ? PartModel : null;
        Loss = Current?.LastLoss ?? 0f;
        if (Current is not null && _detunes.UsesResidual) _detunes.Residual(Current.MeanResidual());
        UpdateStepping(sample);
    }

    /// <summary>A part change or all-notes-off: every voice damps away and no key is held any more.</summary>
    private void ReleaseEverything()
    {
        _voices.ReleaseAll();
        Array.Clear(_keyDown);
        Array.Clear(_sustained);
        Array.Clear(_heldVelocity);
        Array.Fill(_voiceOf, NoVoice);
    }

    /// <summary>A new problem for <paramref name="model"/>; its first loss is the start's, or its first step's.</summary>
    private void NewTarget(Model model, long sample, bool stepAtOnce)
    {
        model.NewTarget(ref _rng);
        Current = model;
        Changes |= PieceChanges.NewTarget;
        if (stepAtOnce) Step(model); // keeps the step's residual, before its update
        else
        {
            Loss = model.Evaluate(_scratchGradient);
            if (_detunes.UsesResidual) _detunes.Residual(model.MeanResidual());
        }
        _detunes.TargetStarts(model.Kind, Loss);
        _targets.Open(TargetCount - 1, model.Kind, Part, sample, model.Steps, Loss);
    }

    private void Step(Model model)
    {
        float stop = model.Kind == ModelKind.Knot ? _learning.Knot.StopLoss ?? _learning.StopLoss : _learning.StopLoss;
        if (model.LastLoss < stop && model.Steps > 0) { Loss = model.LastLoss; return; }
        Loss = model.Step(ref _rng);
        _detunes.Residual(model.LastResidual);
        Stepped();
        _targets.Stepped(TargetCount - 1, model.Steps, Loss);
    }

    private void Stepped()
    {
        GradientSteps++;
        Changes |= PieceChanges.Stepped;
        if (Resets != _resetsSeen)
        {
            _resetsSeen = Resets;
            Changes |= PieceChanges.Reset;
        }
    }

    /// <summary>The overtones' detune for a loss of the current part's model.</summary>
    private float DetuneFor(float loss) => _detunes.For(loss, ModelKind);

    /// <summary>Parts 2 and 3: every held note, or the lowest three held below the chord split.</summary>
    private void DetuneKnotNotes()
    {
        if (_settings.KnotDetunes == KnotDetunes.AllHeld) DetuneHeldNotes(lowest: 0);
        else DetuneHeldNotes(lowest: 0, below: _settings.ChordSplit, most: 3);
    }

    /// <summary>The loss of the latest step glides into the held notes from <paramref name="lowest"/> up (below <paramref name="below"/>, the lowest <paramref name="most"/>).</summary>
    private void DetuneHeldNotes(int lowest, int below = 128, int most = 128)
    {
        float detune = DetuneFor(Loss);
        int detuned = 0;
        for (int note = lowest; note < below && detuned < most; note++)
        {
            if (!_keyDown[note] && !_sustained[note]) continue;
            detuned++;
            int voice = _voiceOf[note];
            if (voice != NoVoice && _voices.SerialOf(voice) == _serialOf[note] && _voices.IsSounding(voice))
                _voices.SetDetuneTarget(voice, detune);
        }
    }

    private void ReleaseVoiceOf(int note)
    {
        _heldVelocity[note] = 0;
        int voice = _voiceOf[note];
        if (voice == NoVoice) return;
        // The voice may have been stolen by another note since: release only our own.
        if (_voices.SerialOf(voice) == _serialOf[note]) _voices.Release(voice);
        _voiceOf[note] = NoVoice;
    }

    private bool ChordHeld()
    {
        int held = 0;
        for (int note = 0; note < _settings.ChordSplit && note < 128; note++)
            if (_keyDown[note] || _sustained[note]) held++;
        return held >= _settings.ChordMinNotes;
    }

    /// <summary>Whether steps run at the step rate now: a chord held in parts 2 and 3; an upper note held in parts 1 and 4 when the cubic steps while held.</summary>
    private bool SteppingWhileHeld() => CubicPart
        ? _settings.CubicStepping == CubicStepping.WhileHeld && Cubic.Targets > 0 && UpperHeld()
        : Knot.Targets > 0 && (_settings.KnotStepping == KnotStepping.Always || ChordHeld());

    private bool UpperHeld()
    {
        for (int note = _settings.BassSplit; note < 128; note++)
            if (_keyDown[note] || _sustained[note]) return true;
        return false;
    }

    /// <summary>Steps continue on the grid k·fs/rate of the sample clock while <see cref="SteppingWhileHeld"/>.</summary>
    private void UpdateStepping(long sample, bool stepped = false)
    {
        if (!SteppingWhileHeld())
        {
            NextStepSample = long.MaxValue;
            return;
        }
        // A step due at this very sample still runs (after the events there); one just taken moves on.
        if (NextStepSample != long.MaxValue && (NextStepSample > sample || (NextStepSample == sample && !stepped))) return;
        double rate = _learning.StepsPerSecond;
        long index = (long)Math.Floor(sample * rate / _sampleRate) + 1;
        long next = (long)Math.Ceiling(index * _sampleRate / rate);
        NextStepSample = next > sample ? next : sample + 1;
    }
}
