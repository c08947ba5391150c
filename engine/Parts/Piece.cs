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
/// trained, and which sounding notes the loss detunes. Each part names its model in the config
/// (<c>piece.parts</c>); the piece knows models only through the <see cref="Model"/> contract and
/// plays each by its <see cref="PartRule"/>. Called by the processor at the exact sample of each
/// event and step; nothing here allocates, locks or throws after construction.
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
    private readonly long _chordIntervalSamples;
    private Rng _rng;
    private Rng _rngAtStart;

    private readonly bool[] _keyDown = new bool[128];
    private readonly bool[] _sustained = new bool[128];
    private readonly int[] _voiceOf = new int[128];
    private readonly long[] _serialOf = new long[128];
    private bool _sustainPedal;
    private bool _partPedal;
    private readonly long[] _lastChordTarget; // by model: the sample of its latest chord-drawn target
    private readonly TargetLog _targets = new();
    private readonly float[] _scratchGradient = new float[Model.MaxParameters];
    private readonly Model[] _models;         // each model once, in the order the parts first name them
    private readonly PieceModel[] _entries;   // by model
    private readonly int[] _modelOfPart;      // by part − 1: the index of its model
    private readonly DetunePolicy _detunes;
    private readonly byte[] _heldVelocity = new byte[128];
    private readonly long[] _pressSample = new long[MaxPendingPresses];
    private readonly byte[] _pressNote = new byte[MaxPendingPresses];
    private readonly byte[] _pressVelocity = new byte[MaxPendingPresses];
    private int _resetsSeen;

    /// <param name="parts">The model of each of the four parts (one <see cref="PieceModel"/> may train several parts: they share its targets).</param>
    public Piece(EngineConfig config, double sampleRate, VoiceBank voices, ulong seed, IReadOnlyList<PieceModel> parts)
    {
        if (parts.Count != 4) throw new ArgumentException("the piece has four parts: give each its model", nameof(parts));
        _settings = config.Piece;
        _learning = config.Learning;
        _voices = voices;
        _sampleRate = sampleRate;
        _chordIntervalSamples = (long)Math.Round(_settings.KnotIntervalSeconds * sampleRate);
        _rng = new Rng(seed, stream: 1);
        _rngAtStart = _rng;
        _entries = parts.Distinct().ToArray();
        _models = _entries.Select(e => e.Model).ToArray();
        if (_models.Distinct().Count() != _models.Length) throw new ArgumentException("one model object is named by two entries", nameof(parts));
        _modelOfPart = parts.Select(p => Array.IndexOf(_entries, p)).ToArray();
        _lastChordTarget = new long[_models.Length];
        _detunes = new DetunePolicy(config.Detune, _entries.Select(e => e.DetuneMultiplier).ToArray());
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
        Array.Clear(_lastChordTarget);
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
        CurrentIndex = -1;
        NoteOns = 0;
        PartChanges = 0;
        GradientSteps = 0;
        Loss = 0f;
        NextStepSample = long.MaxValue;
        Changes = PieceChanges.None;
        PendingPresses = 0;
    }

    /// <summary>Every model the piece trains, each once, in the order the parts first name them (the index the piece's other members use).</summary>
    public ReadOnlySpan<Model> Models => _models;
    /// <summary>Model <paramref name="index"/>'s name in the config.</summary>
    public string ModelName(int index) => _entries[index].Name;
    /// <summary>Targets drawn so far by the model named <paramref name="name"/> (0 when no part trains it).</summary>
    public int TargetsOf(string name)
    {
        foreach (PieceModel entry in _entries)
            if (entry.Name == name) return entry.Model.Targets;
        return 0;
    }
    public int Part { get; private set; }
    /// <summary>The index (in <see cref="Models"/>) of the model this part trains, or −1 before its first target.</summary>
    public int CurrentIndex { get; private set; } = -1;
    /// <summary>The model this part trains, or null before its first target.</summary>
    public Model? Current => CurrentIndex >= 0 ? _models[CurrentIndex] : null;
    /// <summary>The name of <see cref="Current"/>, null before its first target.</summary>
    public string? CurrentName => CurrentIndex >= 0 ? _entries[CurrentIndex].Name : null;

    public int NoteOns { get; private set; }
    public int PartChanges { get; private set; }
    /// <summary>Bit p set when part p has sounded.</summary>
    public int PartsVisited { get; private set; }
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

    private int PartIndex => _modelOfPart[Part - 1];
    /// <summary>The model the current part trains.</summary>
    private Model PartModel => _models[PartIndex];
    private PartRule Rule => _entries[PartIndex].Rule;
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
            Step(PartIndex);
            if (Rule == PartRule.BassNote) DetuneHeldNotes(lowest: _settings.BassSplit);
            else DetuneChordNotes();
        }
        UpdateStepping(sample, stepped: true);
    }

    private void NoteOn(int note, int velocity, long sample)
    {
        NoteOns++;
        ReleaseVoiceOf(note);
        _keyDown[note] = true;
        _sustained[note] = false;

        float detune = Rule == PartRule.BassNote ? BassNoteRule(note, sample) : ChordRule(note, sample);

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

    /// <summary><see cref="PartRule.BassNote"/>: a bass note draws a target, a note above steps it; the pressed note's detune.</summary>
    private float BassNoteRule(int note, long sample)
    {
        int m = PartIndex;
        Model model = _models[m];
        if (note < _settings.BassSplit)
        {
            bool whileHeld = _settings.CubicStepping == CubicStepping.WhileHeld;
            // Stepping while held (the original): a new target steps when it starts, and again for the note-on.
            NewTarget(m, sample, stepAtOnce: whileHeld);
            if (!whileHeld) return 0f;
        }
        else if (model.Targets == 0)
        {
            return 0f;
        }
        // A press is one step; stepping while held (the original), every note-on steps once, then the step-rate ticks.
        Step(m);
        DetuneHeldNotes(lowest: _settings.BassSplit);
        return DetuneFor(Loss);
    }

    /// <summary><see cref="PartRule.Chord"/>: a chord draws a target (one per interval at most); the pressed note's detune.</summary>
    private float ChordRule(int note, long sample)
    {
        int m = PartIndex;
        Model model = _models[m];
        if (note < _settings.ChordSplit && ChordHeld()
            && (model.Targets == 0 || sample - _lastChordTarget[m] >= _chordIntervalSamples))
        {
            _lastChordTarget[m] = sample;
            // The chord sounds at the new target's first loss: step once where it lands (stepping always,
            // as the original, the first step comes with the next control tick).
            NewTarget(m, sample, stepAtOnce: _settings.KnotStepping != KnotStepping.Always);
            DetuneChordNotes();
        }
        return model.Targets > 0 && (_settings.KnotDetunes == KnotDetunes.AllHeld || note < _settings.ChordSplit) ? DetuneFor(Loss) : 0f;
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
        CurrentIndex = PartModel.Targets > 0 ? PartIndex : -1;
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

    /// <summary>A new problem for model <paramref name="m"/>; its first loss is the start's, or its first step's.</summary>
    private void NewTarget(int m, long sample, bool stepAtOnce)
    {
        Model model = _models[m];
        model.NewTarget(ref _rng);
        CurrentIndex = m;
        Changes |= PieceChanges.NewTarget;
        if (stepAtOnce) Step(m); // keeps the step's residual, before its update
        else
        {
            Loss = model.Evaluate(_scratchGradient);
            if (_detunes.UsesResidual) _detunes.Residual(model.MeanResidual());
        }
        _detunes.TargetStarts(m, Loss);
        _targets.Open(TargetCount - 1, _entries[m].Name, Part, sample, model.Steps, Loss);
    }

    private void Step(int m)
    {
        Model model = _models[m];
        if (model.LastLoss < _entries[m].StopLoss && model.Steps > 0) { Loss = model.LastLoss; return; }
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
    private float DetuneFor(float loss) => _detunes.For(loss, CurrentIndex);

    /// <summary>Parts of the chord rule: every held note, or the lowest three held below the chord split.</summary>
    private void DetuneChordNotes()
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

    /// <summary>Whether steps run at the step rate now: a chord held (chord rule); an upper note held when the bass-note rule steps while held.</summary>
    private bool SteppingWhileHeld() => Rule == PartRule.BassNote
        ? _settings.CubicStepping == CubicStepping.WhileHeld && PartModel.Targets > 0 && UpperHeld()
        : PartModel.Targets > 0 && (_settings.KnotStepping == KnotStepping.Always || ChordHeld());

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
