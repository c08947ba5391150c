using System.Runtime.Intrinsics;
using Losses.Engine.Config;
using Losses.Engine.Core;

namespace Losses.Engine.Synthesis;

/// <summary>
/// A preallocated bank of reference voices, laid out structure-of-arrays: per voice a percussive
/// envelope, a detune that glides at control rate, a 2-pole low-pass swept by smooth noise, two
/// accumulated, wrapped phases with their rotation phasors, and per partial stereo gains.
/// Overtone k ≥ 2 sounds at k·f₀·(1+detune); the fundamental is never detuned.
///
/// No sine per sample: each voice carries two phasors (cos, sin) — the fundamental's at φ₀ and
/// the overtones' at φ′ — turned by one complex multiply a sample. At every control point (every
/// <see cref="ControlPeriod"/> samples) the accumulated phases advance by the samples rendered and
/// the phasors are set again from them by the polynomial sine, so rounding never accumulates
/// beyond one sub-block. The overtones, exact harmonics of f′ = f₀·(1+detune), come from φ′'s
/// phasor: their panned sum per channel by Clenshaw's recurrence in cos φ′. The detune is a
/// control-rate value: it glides once per control point and holds through the sub-block, as a
/// control-rate frequency does in SuperCollider; the envelope runs per sample.
///
/// Rendering runs on control sub-blocks: <see cref="ControlUpdate"/> is called on a fixed grid
/// of the sample clock (every <see cref="ControlPeriod"/> samples, by the processor) and
/// <see cref="Render"/> never spans more than one sub-block, so the output does not depend on
/// the host's buffer size. Control-rate bookkeeping is Vector256 (8 voices); the control-rate
/// oscillators and low-passes and the render kernel run at the process's <see cref="VectorWidth"/>,
/// and both widths give the same bits: voice v mixes into lane v mod 16 of one 16-lane
/// accumulator in voice order on either. Nothing after construction allocates, locks or throws.
/// </summary>
public sealed partial class VoiceBank
{
    /// <summary>Samples between control points: the control rate is the sample rate / 32 (1500/s at 48 kHz). Training's step rate is another thing (<c>learning.stepsPerSecond</c>).</summary>
    public const int ControlPeriod = 32;
    private const int Lanes = 8;
    /// <summary>Voice v mixes into lane v mod 16 on either path, so both sum in the same order.</summary>
    private const int MixLanes = 16;
    /// <summary>The capacity rounds up to this: one render unit of the wide path (two Vector512).</summary>
    private const int UnitVoices = 32;
    private const float SilenceLevel = 1e-4f; // −80 dB: a decaying voice below this is free again
    /// <summary>Slots beyond the polyphony where stolen voices fade out while the new notes start.</summary>
    private const int StealSlots = Lanes;
    /// <summary>A stolen voice falls 60 dB in this (freed at −80 dB): fast, yet its 16–24 kHz burst stays below −95 dBFS (StealTests).</summary>
    private const float StealFadeSeconds = 0.01f;

    private enum Stage : byte { Idle, Attack, Decay, Damp, Fade }

    private readonly float _sampleRate;
    private readonly int _partials;
    private readonly int _capacity; // rounded up to whole render units
    private readonly VoiceSettings _settings;
    private readonly VectorWidth _width;
    private Rng _rng;
    private Rng _rngAtStart; // what Restart draws from again

    // Per voice (index v).
    private readonly Stage[] _stage;
    private readonly int[] _note;
    private readonly long[] _serial;
    private readonly float[] _env, _envMul, _envAdd, _gain;
    private readonly float[] _decayMul, _decayAdd;
    private readonly float[] _detune, _detuneTarget;
    private readonly float[] _b0, _b1, _b2, _a1, _a2; // low-pass coefficients
    private readonly float[] _zl1, _zl2, _zr1, _zr2;  // low-pass state, left and right
    private readonly float[] _noisePos, _noise0, _noise1; // smooth noise: position in [0,1) between two random points
    private readonly int[] _groupActive; // sounding voices per 8-voice lane group

    // Oscillators: the phases at the last control point (cycles), the increments (cycles a
    // sample), and the phasors (cos, sin) with the rotation (cos, sin) that turns them a sample.
    private readonly float[] _phase, _overtonePhase;
    private readonly float[] _increment, _overtoneIncrement; // f₀/fs and f₀(1+d)/fs
    private readonly float[] _cos, _sin, _turnCos, _turnSin;
    private readonly float[] _overtoneCos, _overtoneSin, _overtoneTurnCos, _overtoneTurnSin;
    /// <summary>Samples rendered since the last control point: how far the phases have moved.</summary>
    private int _elapsed;

    // Per partial k and voice v at [k * capacity + v].
    private readonly float[] _gainLeft, _gainRight;
    private readonly float[] _panLeft, _panRight; // per partial

    // Scratch for one sub-block. The mix: sample s, lane j at [s·16 + j].
    private readonly float[] _mixLeft = new float[ControlPeriod * MixLanes];
    private readonly float[] _mixRight = new float[ControlPeriod * MixLanes];
    // One render unit's partial sums and levels between the two passes: sample s, unit lane j at [s·32 + j].
    private readonly float[] _sumLeft = new float[ControlPeriod * UnitVoices];
    private readonly float[] _sumRight = new float[ControlPeriod * UnitVoices];
    private readonly float[] _level = new float[ControlPeriod * UnitVoices];

    private long _nextSerial = 1;
    private readonly float _controlGlide;
    private readonly float _dampMul;
    private readonly float _fadeMul;
    private int _sounding; // voices in attack, decay or damp: at most the polyphony
    private readonly float _maxDetune;
    private readonly Tuning _tuning;

    /// <param name="width">The render kernel's vector width; null: the process's <see cref="VectorPath.Chosen"/>.</param>
    public VoiceBank(VoiceSettings settings, float sampleRate, float maxDetune, ulong seed, Tuning? tuning = null, VectorWidth? width = null)
    {
        _tuning = tuning ?? Tuning.Equal;
        _settings = settings;
        _sampleRate = sampleRate;
        _width = width ?? VectorPath.Chosen;
        _partials = settings.Partials;
        _capacity = (settings.Polyphony + StealSlots + UnitVoices - 1) / UnitVoices * UnitVoices;
        _rng = new Rng(seed, stream: 2);
        _rngAtStart = _rng;

        int n = _capacity;
        _stage = new Stage[n];
        _note = new int[n];
        _serial = new long[n];
        _env = new float[n]; _envMul = new float[n]; _envAdd = new float[n]; _gain = new float[n];
        _decayMul = new float[n]; _decayAdd = new float[n];
        _detune = new float[n]; _detuneTarget = new float[n];
        _b0 = new float[n]; _b1 = new float[n]; _b2 = new float[n]; _a1 = new float[n]; _a2 = new float[n];
        _zl1 = new float[n]; _zl2 = new float[n]; _zr1 = new float[n]; _zr2 = new float[n];
        _noisePos = new float[n]; _noise0 = new float[n]; _noise1 = new float[n];
        _groupActive = new int[n / Lanes];

        _phase = new float[n]; _overtonePhase = new float[n];
        _increment = new float[n]; _overtoneIncrement = new float[n];
        _cos = new float[n]; _sin = new float[n]; _turnCos = new float[n]; _turnSin = new float[n];
        _overtoneCos = new float[n]; _overtoneSin = new float[n]; _overtoneTurnCos = new float[n]; _overtoneTurnSin = new float[n];
        int np = n * _partials;
        _gainLeft = new float[np]; _gainRight = new float[np];
        _panLeft = new float[_partials];
        _panRight = new float[_partials];
        for (int k = 0; k < _partials; k++) (_panLeft[k], _panRight[k]) = settings.Pan(k);

        _controlGlide = settings.ControlGlideCoefficient(sampleRate, ControlPeriod);
        _dampMul = settings.DampMultiplier(sampleRate);
        _fadeMul = MathF.Exp(-6.90775527898f / (StealFadeSeconds * sampleRate));
        _maxDetune = maxDetune;
        for (int v = 0; v < n; v++) _envMul[v] = 1f;
    }

    /// <summary>
    /// Silence and every voice as at construction, without allocating: a host's jump on its
    /// timeline starts the piece again. <paramref name="elapsed"/>: samples since the last
    /// control point of the sample clock (where a fresh bank, silent from sample 0, would be);
    /// <paramref name="seed"/>: draw as a bank made with this seed (null: the one it has).
    /// </summary>
    public void Restart(int elapsed, ulong? seed = null)
    {
        if (seed is { } s) _rngAtStart = new Rng(s, stream: 2);
        _rng = _rngAtStart;
        Array.Clear(_stage); Array.Clear(_note); Array.Clear(_serial);
        Array.Clear(_env); Array.Fill(_envMul, 1f); Array.Clear(_envAdd); Array.Clear(_gain);
        Array.Clear(_decayMul); Array.Clear(_decayAdd);
        Array.Clear(_detune); Array.Clear(_detuneTarget);
        Array.Clear(_b0); Array.Clear(_b1); Array.Clear(_b2); Array.Clear(_a1); Array.Clear(_a2);
        Array.Clear(_zl1); Array.Clear(_zl2); Array.Clear(_zr1); Array.Clear(_zr2);
        Array.Clear(_noisePos); Array.Clear(_noise0); Array.Clear(_noise1);
        Array.Clear(_groupActive);
        Array.Clear(_phase); Array.Clear(_overtonePhase);
        Array.Clear(_increment); Array.Clear(_overtoneIncrement);
        Array.Clear(_cos); Array.Clear(_sin); Array.Clear(_turnCos); Array.Clear(_turnSin);
        Array.Clear(_overtoneCos); Array.Clear(_overtoneSin); Array.Clear(_overtoneTurnCos); Array.Clear(_overtoneTurnSin);
        Array.Clear(_gainLeft); Array.Clear(_gainRight);
        Array.Clear(_mixLeft); Array.Clear(_mixRight); Array.Clear(_sumLeft); Array.Clear(_sumRight); Array.Clear(_level);
        _nextSerial = 1;
        _sounding = 0;
        ActiveVoices = 0;
        Steals = 0;
        _elapsed = elapsed;
    }

    /// <summary>The render kernel's vector width.</summary>
    public VectorWidth Width => _width;
    public int Capacity => _settings.Polyphony;
    public int Partials => _partials;
    /// <summary>Voices making sound, including stolen ones still fading out.</summary>
    public int ActiveVoices { get; private set; }
    public long Steals { get; private set; }

    public bool IsSounding(int voice) => _stage[voice] != Stage.Idle;
    public bool IsReleased(int voice) => _stage[voice] == Stage.Damp;
    public long SerialOf(int voice) => _serial[voice];
    public float DetuneOf(int voice) => _detune[voice];
}
