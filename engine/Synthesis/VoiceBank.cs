using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Losses.Engine.Config;
using Losses.Engine.Learning;

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
/// the host's buffer size. Control-rate work is Vector256 (8 voices); the render kernel runs at
/// the process's <see cref="VectorWidth"/>, and both widths give the same bits: voice v mixes into
/// lane v mod 16 of one 16-lane accumulator in voice order on either. Nothing after construction
/// allocates, locks or throws.
/// </summary>
public sealed class VoiceBank
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

    /// <summary>
    /// Starts a voice at the current sample and returns its index. When the polyphony is full the
    /// quietest voice is stolen: it fades out in a few milliseconds in its own slot while the new
    /// note starts in a spare one (cut at once only if every spare slot is still fading).
    /// </summary>
    public int NoteOn(int note, int velocity, float detune)
    {
        if (_sounding >= _settings.Polyphony)
        {
            int victim = QuietestSounding();
            _stage[victim] = Stage.Fade;
            _envMul[victim] = _fadeMul;
            _envAdd[victim] = 0f;
            _sounding--;
            Steals++;
        }
        int v = FirstIdle();
        if (v < 0)
        {
            v = QuietestFading();
        }
        else
        {
            _groupActive[v / Lanes]++;
            ActiveVoices++;
        }
        _sounding++;

        float f0 = _tuning.Frequency(note);
        float partialGain = 1f / _partials;

        _stage[v] = Stage.Attack;
        _note[v] = note;
        _serial[v] = _nextSerial++;
        // Attack and decay: Env.perc's curved segments; the attack is above zero on the first sample.
        _env[v] = 0f;
        (_envMul[v], _envAdd[v]) = _settings.Segment(_settings.AttackSeconds, _sampleRate, 0f, 1f);
        float decaySeconds = note < _settings.LongReleaseBelow ? _settings.LongReleaseSeconds : _settings.ReleaseSeconds;
        (_decayMul[v], _decayAdd[v]) = _settings.Segment(decaySeconds, _sampleRate, 1f, 0f);
        _gain[v] = _settings.AmplitudeOf(velocity);
        _detune[v] = detune;
        _detuneTarget[v] = detune;
        _zl1[v] = _zl2[v] = _zr1[v] = _zr2[v] = 0f;
        _noise0[v] = _rng.NextFloat();
        _noise1[v] = _rng.NextFloat();
        _noisePos[v] = _rng.NextFloat();
        UpdateFilter(v);

        // Cosine start of both phasors: the first sample of the attack is already non-zero, and
        // overtone k starts at k/4 cycles of φ′. The phases are dated back to the sub-block's start,
        // where the next control point advances them from.
        float increment = f0 / _sampleRate;
        float overtoneIncrement = increment * (1f + detune);
        _increment[v] = increment;
        _overtoneIncrement[v] = overtoneIncrement;
        // Lane 0 of the control-rate vector maths, so a note's first sub-block turns as the rest do.
        Vector256<float> phases = Sine.Wrap(Vector256.Create(MathF.FusedMultiplyAdd(-_elapsed, increment, 0.25f), MathF.FusedMultiplyAdd(-_elapsed, overtoneIncrement, 0.25f), 0f, 0f, 0f, 0f, 0f, 0f));
        _phase[v] = phases[0];
        _overtonePhase[v] = phases[1];
        _cos[v] = 0f; _sin[v] = 1f;
        _overtoneCos[v] = 0f; _overtoneSin[v] = 1f;
        // The fundamental's turn holds for the whole note: taken once, in double.
        (double turnSin, double turnCos) = Math.SinCos(2 * Math.PI * increment);
        _turnCos[v] = (float)turnCos; _turnSin[v] = (float)turnSin;
        (Vector256<float> overtoneTurnCos, Vector256<float> overtoneTurnSin) = Sine.CosSinOfCycles(Sine.Wrap(Vector256.Create(overtoneIncrement)));
        _overtoneTurnCos[v] = overtoneTurnCos.ToScalar();
        _overtoneTurnSin[v] = overtoneTurnSin.ToScalar();
        for (int k = 0; k < _partials; k++)
        {
            int i = k * _capacity + v;
            bool audible = VoiceSettings.PartialIsAudible(k, f0, _sampleRate, _maxDetune);
            _gainLeft[i] = audible ? partialGain * _panLeft[k] : 0f;
            _gainRight[i] = audible ? partialGain * _panRight[k] : 0f;
        }
        return v;
    }

    /// <summary>Key released: the voice damps away (never cut, so never a click).</summary>
    public void Release(int voice)
    {
        if (_stage[voice] is Stage.Idle or Stage.Damp or Stage.Fade) return;
        _stage[voice] = Stage.Damp;
        _envMul[voice] = _dampMul;
        _envAdd[voice] = 0f;
    }

    public void ReleaseAll()
    {
        for (int v = 0; v < _capacity; v++) Release(v);
    }

    /// <summary>The detune glides to this value from the next control point on (at most <see cref="ControlPeriod"/> samples later).</summary>
    public void SetDetuneTarget(int voice, float detune) => _detuneTarget[voice] = detune;

    private int FirstIdle()
    {
        for (int v = 0; v < _capacity; v++)
            if (_stage[v] == Stage.Idle) return v;
        return -1;
    }

    /// <summary>The quietest released voice, else the quietest of all that sound.</summary>
    private int QuietestSounding()
    {
        int best = -1;
        float bestLevel = float.MaxValue;
        for (int pass = 0; pass < 2 && best < 0; pass++)
        {
            for (int v = 0; v < _capacity; v++)
            {
                Stage stage = _stage[v];
                if (stage is Stage.Idle or Stage.Fade || (pass == 0 && stage != Stage.Damp)) continue;
                float level = _env[v] * _gain[v];
                if (level < bestLevel) { bestLevel = level; best = v; }
            }
        }
        return best;
    }

    private int QuietestFading()
    {
        int best = 0;
        float bestLevel = float.MaxValue;
        for (int v = 0; v < _capacity; v++)
        {
            float level = _env[v] * _gain[v];
            if (_stage[v] == Stage.Fade && level < bestLevel) { bestLevel = level; best = v; }
        }
        return best;
    }

    /// <summary>
    /// Control-rate work at a sub-block boundary of the sample clock: envelope stages, freeing
    /// silent voices, the noise sweep of each low-pass, the detune glide (flushed once it has
    /// arrived, so it never decays into denormals) and the oscillators' phases and phasors. Idle
    /// lane groups cost one compare; the rest is computed eight voices at a time.
    /// </summary>
    public void ControlUpdate()
    {
        Vector256<float> noiseStep = Vector256.Create(_settings.SweepHz * ControlPeriod / _sampleRate);
        Vector256<float> one = Vector256<float>.One;
        int groups = _capacity / Lanes;
        for (int g = 0; g < groups; g++)
        {
            if (_groupActive[g] == 0) continue;
            int v0 = g * Lanes;
            // The voices whose stage changes, found eight at a time and handled one by one (rare).
            Vector256<float> env = Load(ref _env[v0]);
            uint attack = StageLanes(v0, Stage.Attack);
            uint idle = StageLanes(v0, Stage.Idle);
            uint full = Vector256.GreaterThanOrEqual(env, one).ExtractMostSignificantBits();
            uint silent = Vector256.LessThan(env, Vector256.Create(SilenceLevel)).ExtractMostSignificantBits();
            for (uint m = attack & full; m != 0; m &= m - 1)
            {
                int v = v0 + BitOperations.TrailingZeroCount(m);
                _stage[v] = Stage.Decay;
                _envMul[v] = _decayMul[v];
                _envAdd[v] = _decayAdd[v];
            }
            uint freed = silent & ~attack & ~idle;
            for (uint m = freed; m != 0; m &= m - 1) Free(v0 + BitOperations.TrailingZeroCount(m));

            // The smooth noise moves on; a voice that passes a noise point draws the next one, in
            // voice order, as the scalar baseline does (an idle voice's position is reset at its note-on).
            Vector256<float> pos = Load(ref _noisePos[v0]) + noiseStep;
            Vector256<float> passed = Vector256.GreaterThanOrEqual(pos, one);
            Store(Vector256.ConditionalSelect(passed, pos - one, pos), ref _noisePos[v0]);
            for (uint m = passed.ExtractMostSignificantBits() & ~(idle | freed); m != 0; m &= m - 1)
            {
                int v = v0 + BitOperations.TrailingZeroCount(m);
                _noise0[v] = _noise1[v];
                _noise1[v] = _rng.NextFloat();
            }
            UpdateOscillators(v0);
            UpdateFilters(v0);
        }
        _elapsed = 0;
    }

    /// <summary>Bit i set where voice v0 + i of the lane group is at <paramref name="stage"/>.</summary>
    private uint StageLanes(int v0, Stage stage)
    {
        ulong stages = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<Stage, byte>(ref _stage[v0]));
        return Vector128.Equals(Vector128.CreateScalar(stages).AsByte(), Vector128.Create((byte)stage)).ExtractMostSignificantBits() & 0xFFu;
    }

    /// <summary>
    /// A lane group's oscillators at a control point: the phases advance by the samples rendered
    /// since the last one, the detune glides a control period, and the phasors are set from the
    /// phases — so a phasor's rounding lives one sub-block at most. A free voice's phasors are
    /// zero (they stay zero however long its group renders).
    /// </summary>
    private void UpdateOscillators(int v0)
    {
        Vector256<float> elapsed = Vector256.Create((float)_elapsed);
        Vector256<float> increment = Load(ref _increment[v0]);
        Vector256<float> phase = Sine.Wrap(Vector256.FusedMultiplyAdd(elapsed, increment, Load(ref _phase[v0])));
        Vector256<float> overtonePhase = Sine.Wrap(Vector256.FusedMultiplyAdd(elapsed, Load(ref _overtoneIncrement[v0]), Load(ref _overtonePhase[v0])));

        Vector256<float> d = Load(ref _detune[v0]);
        Vector256<float> target = Load(ref _detuneTarget[v0]);
        d = Vector256.FusedMultiplyAdd(target - d, Vector256.Create(_controlGlide), d);
        d = Vector256.ConditionalSelect(Vector256.LessThan(Vector256.Abs(d - target), Vector256.Create(1e-7f)), target, d);
        Vector256<float> overtoneIncrement = increment * (Vector256<float>.One + d);
        Store(d, ref _detune[v0]);
        Store(overtoneIncrement, ref _overtoneIncrement[v0]);
        Store(phase, ref _phase[v0]);
        Store(overtonePhase, ref _overtonePhase[v0]);

        Vector256<float> sounding = Vector256.GreaterThan(increment, Vector256<float>.Zero);
        (Vector256<float> cos, Vector256<float> sin) = Sine.CosSinOfCycles(phase);
        Store(sounding & cos, ref _cos[v0]);
        Store(sounding & sin, ref _sin[v0]);
        (cos, sin) = Sine.CosSinOfCycles(overtonePhase);
        Store(sounding & cos, ref _overtoneCos[v0]);
        Store(sounding & sin, ref _overtoneSin[v0]);
        (cos, sin) = Sine.CosSinOfCycles(Sine.Wrap(overtoneIncrement));
        Store(cos, ref _overtoneTurnCos[v0]);
        Store(sin, ref _overtoneTurnSin[v0]);
    }

    private void Free(int v)
    {
        if (_stage[v] != Stage.Fade) _sounding--;
        _stage[v] = Stage.Idle;
        _env[v] = 0f;
        _envMul[v] = 1f;
        _envAdd[v] = 0f;
        _gain[v] = 0f;
        _detune[v] = _detuneTarget[v] = 0f;
        _zl1[v] = _zl2[v] = _zr1[v] = _zr2[v] = 0f;
        _increment[v] = _overtoneIncrement[v] = 0f;
        _cos[v] = _sin[v] = _overtoneCos[v] = _overtoneSin[v] = 0f;
        for (int k = 0; k < _partials; k++)
        {
            int i = k * _capacity + v;
            _gainLeft[i] = _gainRight[i] = 0f;
        }
        _groupActive[v / Lanes]--;
        ActiveVoices--;
    }

    /// <summary>A voice's low-pass at the cutoff the smooth noise gives now: recomputed for its whole lane group (eight voices cost what one does).</summary>
    private void UpdateFilter(int v) => UpdateFilters(v / Lanes * Lanes);

    /// <summary>
    /// The low-pass coefficients of a lane group at the cutoff the smooth noise gives now:
    /// Butterworth (RBJ cookbook), sin and cos of w0 by the polynomial sine — a voice's cost at
    /// control rate is a few vector operations instead of two libm calls.
    /// </summary>
    private void UpdateFilters(int v0)
    {
        Vector256<float> t = Load(ref _noisePos[v0]);
        Vector256<float> s = t * t * (Vector256.Create(3f) - Vector256.Create(2f) * t); // smoothstep: continuous slope between the noise points
        Vector256<float> n0 = Load(ref _noise0[v0]);
        Vector256<float> noise = n0 + (Load(ref _noise1[v0]) - n0) * s;
        float low = _settings.CutoffLowHz, high = _settings.CutoffHighHz;
        Vector256<float> cutoff = Vector256.Create(low) + Vector256.Create(high - low) * noise;
        // w0 in cycles: at most 0.45, inside the sine's [−½, ½].
        Vector256<float> cycles = Vector256.Min(cutoff, Vector256.Create(0.45f * _sampleRate)) / Vector256.Create(_sampleRate);
        (Vector256<float> cos, Vector256<float> sin) = Sine.CosSinOfCycles(cycles);
        Vector256<float> one = Vector256<float>.One;
        Vector256<float> alpha = sin / Vector256.Create(2f * 0.70710678f);
        Vector256<float> a0 = one + alpha;
        Vector256<float> b1 = (one - cos) / a0;
        Vector256<float> half = b1 * Vector256.Create(0.5f);
        Store(half, ref _b0[v0]);
        Store(b1, ref _b1[v0]);
        Store(half, ref _b2[v0]);
        Store(Vector256.Create(-2f) * cos / a0, ref _a1[v0]);
        Store((one - alpha) / a0, ref _a2[v0]);
    }

    /// <summary>
    /// Renders up to <see cref="ControlPeriod"/> samples into left/right (overwriting them).
    /// Callers split at sub-block boundaries and at events.
    /// </summary>
    public void Render(Span<float> left, Span<float> right)
    {
        bool coupled = _settings.DetuneAmplitude != 0f;
        if (_width == VectorWidth.Wide512)
        {
            if (coupled) Render<Vector512<float>, Lanes512, Whole, Coupled>(left, right);
            else Render<Vector512<float>, Lanes512, Whole, Uncoupled>(left, right);
        }
        else
        {
            if (coupled) Render<Vector256<float>, Lanes256, Whole, Coupled>(left, right);
            else Render<Vector256<float>, Lanes256, Whole, Uncoupled>(left, right);
        }
    }

    /// <summary>
    /// The oscillator bank alone — phasors, overtones and envelope, no low-pass — for the
    /// benchmark that measures it; the same code as <see cref="Render"/> with the filter compiled out.
    /// </summary>
    internal void RenderOscillators(Span<float> left, Span<float> right)
    {
        if (_width == VectorWidth.Wide512) Render<Vector512<float>, Lanes512, OscillatorsOnly, Uncoupled>(left, right);
        else Render<Vector256<float>, Lanes256, OscillatorsOnly, Uncoupled>(left, right);
    }

    /// <summary>
    /// The low-pass and mix alone, on whatever partial sums the last render left in the scratch,
    /// for the benchmark that measures the filter chain; advances no oscillator.
    /// </summary>
    internal void RenderFilters(Span<float> left, Span<float> right)
    {
        if (_width == VectorWidth.Wide512) Render<Vector512<float>, Lanes512, FiltersOnly, Uncoupled>(left, right);
        else Render<Vector256<float>, Lanes256, FiltersOnly, Uncoupled>(left, right);
    }

    /// <summary>Which passes a render runs: compiled in per instantiation, no branch per sample.</summary>
    private interface IPasses
    {
        static abstract bool Oscillators { get; }
        static abstract bool Filter { get; }
    }
    private readonly struct Whole : IPasses { public static bool Oscillators => true; public static bool Filter => true; }
    private readonly struct OscillatorsOnly : IPasses { public static bool Oscillators => true; public static bool Filter => false; }
    private readonly struct FiltersOnly : IPasses { public static bool Oscillators => false; public static bool Filter => true; }

    /// <summary>Whether the amplitude follows the detune (× (1 − k·d), <see cref="VoiceSettings.DetuneAmplitude"/>).</summary>
    private interface IAmplitudeMode { static abstract bool FollowsDetune { get; } }
    private readonly struct Coupled : IAmplitudeMode { public static bool FollowsDetune => true; }
    private readonly struct Uncoupled : IAmplitudeMode { public static bool FollowsDetune => false; }

    private void Render<TVector, TLanes, TPasses, TAmplitude>(Span<float> left, Span<float> right)
        where TVector : struct where TLanes : struct, ILanes<TVector>
        where TPasses : struct, IPasses where TAmplitude : struct, IAmplitudeMode
    {
        int n = left.Length;
        if (n == 0) return;
        if (n > ControlPeriod || right.Length != n) n = Math.Min(Math.Min(n, right.Length), ControlPeriod);

        _mixLeft.AsSpan(0, n * MixLanes).Clear();
        _mixRight.AsSpan(0, n * MixLanes).Clear();

        // A unit is two vectors, rendered together so their low-pass chains interleave.
        int unit = 2 * TLanes.Count;
        for (int v0 = 0; v0 < _capacity; v0 += unit)
        {
            if (AnySounding(v0, unit)) RenderUnit<TVector, TLanes, TPasses, TAmplitude>(v0, n);
        }

        // The same reduction on both paths: lanes 0–7 plus lanes 8–15, then across the eight.
        ref float mixL = ref MemoryMarshal.GetArrayDataReference(_mixLeft);
        ref float mixR = ref MemoryMarshal.GetArrayDataReference(_mixRight);
        for (int s = 0; s < n; s++)
        {
            int at = s * MixLanes;
            left[s] = Vector256.Sum(Load(ref Unsafe.Add(ref mixL, at)) + Load(ref Unsafe.Add(ref mixL, at + Lanes)));
            right[s] = Vector256.Sum(Load(ref Unsafe.Add(ref mixR, at)) + Load(ref Unsafe.Add(ref mixR, at + Lanes)));
        }
        if (TPasses.Oscillators) _elapsed += n;
    }

    private bool AnySounding(int v0, int voices)
    {
        for (int g = v0 / Lanes; g < (v0 + voices) / Lanes; g++)
            if (_groupActive[g] != 0) return true;
        return false;
    }

    /// <summary>
    /// Two vectors of voices (a render unit) in two sample-major passes through small scratch
    /// arrays: pass 1 runs each vector's oscillators and envelope into per-sample sums and levels;
    /// pass 2 runs the two vectors' low-pass chains side by side (four independent chains, left
    /// and right of each, instead of two) and mixes them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RenderUnit<TVector, TLanes, TPasses, TAmplitude>(int v0, int n)
        where TVector : struct where TLanes : struct, ILanes<TVector>
        where TPasses : struct, IPasses where TAmplitude : struct, IAmplitudeMode
    {
        int width = TLanes.Count;
        if (TPasses.Oscillators)
        {
            Oscillate<TVector, TLanes, TAmplitude>(v0, 0, n);
            Oscillate<TVector, TLanes, TAmplitude>(v0 + width, width, n);
        }
        if (TPasses.Filter) FilterAndMix<TVector, TLanes, WithFilter>(v0, n);
        else FilterAndMix<TVector, TLanes, WithoutFilter>(v0, n);
    }

    private interface IFilterMode { static abstract bool Enabled { get; } }
    private readonly struct WithFilter : IFilterMode { public static bool Enabled => true; }
    private readonly struct WithoutFilter : IFilterMode { public static bool Enabled => false; }

    /// <summary>
    /// Pass 1 for one vector of voices from <paramref name="v"/>: per sample the envelope, one
    /// complex multiply per phasor, the overtones by Clenshaw's recurrence, and the panned
    /// partial sums — into the unit's scratch at lane offset <paramref name="lane"/>. Only the
    /// envelope and the two phasors carry from sample to sample.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Oscillate<TVector, TLanes, TAmplitude>(int v, int lane, int n)
        where TVector : struct where TLanes : struct, ILanes<TVector> where TAmplitude : struct, IAmplitudeMode
    {
        TVector e = TLanes.Load(ref _env[v]);
        TVector eMul = TLanes.Load(ref _envMul[v]);
        TVector eAdd = TLanes.Load(ref _envAdd[v]);
        TVector gain = TLanes.Load(ref _gain[v]);
        // The detune holds through the sub-block, and so does the amplitude that follows it.
        TVector coupling = TAmplitude.FollowsDetune
            ? TLanes.Fma(TLanes.Broadcast(-_settings.DetuneAmplitude), TLanes.Load(ref _detune[v]), TLanes.Broadcast(1f))
            : TLanes.Broadcast(1f);

        TVector c0 = TLanes.Load(ref _cos[v]), s0 = TLanes.Load(ref _sin[v]);
        TVector tc0 = TLanes.Load(ref _turnCos[v]), ts0 = TLanes.Load(ref _turnSin[v]);
        TVector c1 = TLanes.Load(ref _overtoneCos[v]), s1 = TLanes.Load(ref _overtoneSin[v]);
        TVector tc1 = TLanes.Load(ref _overtoneTurnCos[v]), ts1 = TLanes.Load(ref _overtoneTurnSin[v]);

        // Partial k of these voices sits at [k·stride]; the arrays hold partials·capacity floats
        // and v + width ≤ capacity, so every access below is in bounds.
        int stride = _capacity;
        int partials = _partials;
        ref float gl0 = ref _gainLeft[v];
        ref float gr0 = ref _gainRight[v];
        ref float sums = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_sumLeft), lane);
        ref float sumsR = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_sumRight), lane);
        ref float levels = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_level), lane);

        TVector minusOne = TLanes.Broadcast(-1f), three = TLanes.Broadcast(3f), zero = TLanes.Broadcast(0f);
        for (int s = 0; s < n; s++)
        {
            // The curved decay passes zero at its end: held at 0 until the voice is freed.
            e = TLanes.ClampUnit(TLanes.Fma(e, eMul, eAdd));
            TVector level = TLanes.Multiply(e, gain);
            if (TAmplitude.FollowsDetune) level = TLanes.Multiply(level, coupling);
            TLanes.Store(level, ref Unsafe.Add(ref levels, s * UnitVoices));

            // The fundamental (never detuned): turn its phasor one sample.
            TVector c = TLanes.Fms(c0, tc0, TLanes.Multiply(s0, ts0));
            s0 = TLanes.Fma(s0, tc0, TLanes.Multiply(c0, ts0));
            c0 = c;
            TVector sumL = TLanes.Multiply(s0, TLanes.Load(ref gl0));
            TVector sumR = TLanes.Multiply(s0, TLanes.Load(ref gr0));
            if (partials > 1)
            {
                c = TLanes.Fms(c1, tc1, TLanes.Multiply(s1, ts1));
                s1 = TLanes.Fma(s1, tc1, TLanes.Multiply(c1, ts1));
                c1 = c;

                // Overtones: Σₘ aₘ·sin(m·x) over harmonics m = 2 … partials of φ′ by Clenshaw's
                // recurrence bₘ = aₘ + 2cos x·bₘ₊₁ − bₘ₊₂ from the top down, the sum being
                // sin x·b₁ (a₁ = 0): one FMA and one subtraction per partial and channel. The
                // phasor's magnitude r drifts from 1 by rounding within a sub-block, and the
                // recurrence would make k²·(r − 1) of it at harmonic k, so its cosine is taken as
                // c·(3 − r²)/2 (one Newton step to c/r, off the phasor's own chain): the sum comes
                // out r·Σₘ aₘ·sin(m·x), the drift staying r − 1.
                TVector twoCos = TLanes.Multiply(c1, TLanes.Fma(TLanes.Fma(c1, c1, TLanes.Multiply(s1, s1)), minusOne, three));
                ref float gl = ref Unsafe.Add(ref gl0, (partials - 1) * stride);
                ref float gr = ref Unsafe.Add(ref gr0, (partials - 1) * stride);
                TVector nextL = TLanes.Load(ref gl), nextR = TLanes.Load(ref gr); // bₘ₊₁, from b_partials
                TVector afterL = zero, afterR = zero;                            // bₘ₊₂
                for (int k = partials - 2; k >= 1; k--)
                {
                    gl = ref Unsafe.Subtract(ref gl, stride);
                    gr = ref Unsafe.Subtract(ref gr, stride);
                    TVector bl = TLanes.Fma(twoCos, nextL, TLanes.Subtract(TLanes.Load(ref gl), afterL));
                    TVector br = TLanes.Fma(twoCos, nextR, TLanes.Subtract(TLanes.Load(ref gr), afterR));
                    afterL = nextL; afterR = nextR;
                    nextL = bl; nextR = br;
                }
                sumL = TLanes.Fma(s1, TLanes.Fms(twoCos, nextL, afterL), sumL);
                sumR = TLanes.Fma(s1, TLanes.Fms(twoCos, nextR, afterR), sumR);
            }
            TLanes.Store(sumL, ref Unsafe.Add(ref sums, s * UnitVoices));
            TLanes.Store(sumR, ref Unsafe.Add(ref sumsR, s * UnitVoices));
        }
        TLanes.Store(e, ref _env[v]);
        TLanes.Store(c0, ref _cos[v]); TLanes.Store(s0, ref _sin[v]);
        TLanes.Store(c1, ref _overtoneCos[v]); TLanes.Store(s1, ref _overtoneSin[v]);
    }

    /// <summary>
    /// Pass 2 for a unit: the low-pass per voice and channel (transposed direct form II) of both
    /// vectors, interleaved so their loop-carried chains overlap, then the level and the mix —
    /// the first vector's voices before the second's in every mix lane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FilterAndMix<TVector, TLanes, TFilter>(int v0, int n)
        where TVector : struct where TLanes : struct, ILanes<TVector> where TFilter : struct, IFilterMode
    {
        int width = TLanes.Count;
        int va = v0, vb = v0 + width;
        TVector b0a = TLanes.Load(ref _b0[va]), b1a = TLanes.Load(ref _b1[va]), b2a = TLanes.Load(ref _b2[va]);
        TVector na1a = TLanes.Multiply(TLanes.Broadcast(-1f), TLanes.Load(ref _a1[va]));
        TVector na2a = TLanes.Multiply(TLanes.Broadcast(-1f), TLanes.Load(ref _a2[va]));
        TVector b0b = TLanes.Load(ref _b0[vb]), b1b = TLanes.Load(ref _b1[vb]), b2b = TLanes.Load(ref _b2[vb]);
        TVector na1b = TLanes.Multiply(TLanes.Broadcast(-1f), TLanes.Load(ref _a1[vb]));
        TVector na2b = TLanes.Multiply(TLanes.Broadcast(-1f), TLanes.Load(ref _a2[vb]));
        TVector la1 = TLanes.Load(ref _zl1[va]), la2 = TLanes.Load(ref _zl2[va]);
        TVector ra1 = TLanes.Load(ref _zr1[va]), ra2 = TLanes.Load(ref _zr2[va]);
        TVector lb1 = TLanes.Load(ref _zl1[vb]), lb2 = TLanes.Load(ref _zl2[vb]);
        TVector rb1 = TLanes.Load(ref _zr1[vb]), rb2 = TLanes.Load(ref _zr2[vb]);

        ref float sumsL = ref MemoryMarshal.GetArrayDataReference(_sumLeft);
        ref float sumsR = ref MemoryMarshal.GetArrayDataReference(_sumRight);
        ref float levels = ref MemoryMarshal.GetArrayDataReference(_level);
        ref float mixL = ref MemoryMarshal.GetArrayDataReference(_mixLeft);
        ref float mixR = ref MemoryMarshal.GetArrayDataReference(_mixRight);
        // Voice v mixes into lane v mod 16: the second vector lands on lanes 8–15 (Vector256) or on
        // the first's lanes after it (Vector512).
        int laneB = width % MixLanes;

        for (int s = 0; s < n; s++)
        {
            int at = s * UnitVoices;
            TVector xla = TLanes.Load(ref Unsafe.Add(ref sumsL, at)), xra = TLanes.Load(ref Unsafe.Add(ref sumsR, at));
            TVector xlb = TLanes.Load(ref Unsafe.Add(ref sumsL, at + width)), xrb = TLanes.Load(ref Unsafe.Add(ref sumsR, at + width));
            TVector yla = xla, yra = xra, ylb = xlb, yrb = xrb;
            if (TFilter.Enabled)
            {
                // One FMA per state update on the feedback path (y → z1 → y); four chains side by side.
                yla = TLanes.Fma(b0a, xla, la1);
                yra = TLanes.Fma(b0a, xra, ra1);
                ylb = TLanes.Fma(b0b, xlb, lb1);
                yrb = TLanes.Fma(b0b, xrb, rb1);
                la1 = TLanes.Fma(na1a, yla, TLanes.Fma(b1a, xla, la2));
                ra1 = TLanes.Fma(na1a, yra, TLanes.Fma(b1a, xra, ra2));
                lb1 = TLanes.Fma(na1b, ylb, TLanes.Fma(b1b, xlb, lb2));
                rb1 = TLanes.Fma(na1b, yrb, TLanes.Fma(b1b, xrb, rb2));
                la2 = TLanes.Fma(na2a, yla, TLanes.Multiply(b2a, xla));
                ra2 = TLanes.Fma(na2a, yra, TLanes.Multiply(b2a, xra));
                lb2 = TLanes.Fma(na2b, ylb, TLanes.Multiply(b2b, xlb));
                rb2 = TLanes.Fma(na2b, yrb, TLanes.Multiply(b2b, xrb));
            }
            TVector levelA = TLanes.Load(ref Unsafe.Add(ref levels, at));
            TVector levelB = TLanes.Load(ref Unsafe.Add(ref levels, at + width));
            ref float ml = ref Unsafe.Add(ref mixL, s * MixLanes);
            ref float mr = ref Unsafe.Add(ref mixR, s * MixLanes);
            if (laneB == 0)
            {
                TLanes.Store(TLanes.Fma(ylb, levelB, TLanes.Fma(yla, levelA, TLanes.Load(ref ml))), ref ml);
                TLanes.Store(TLanes.Fma(yrb, levelB, TLanes.Fma(yra, levelA, TLanes.Load(ref mr))), ref mr);
            }
            else
            {
                TLanes.Store(TLanes.Fma(yla, levelA, TLanes.Load(ref ml)), ref ml);
                TLanes.Store(TLanes.Fma(yra, levelA, TLanes.Load(ref mr)), ref mr);
                ref float mlb = ref Unsafe.Add(ref ml, laneB);
                ref float mrb = ref Unsafe.Add(ref mr, laneB);
                TLanes.Store(TLanes.Fma(ylb, levelB, TLanes.Load(ref mlb)), ref mlb);
                TLanes.Store(TLanes.Fma(yrb, levelB, TLanes.Load(ref mrb)), ref mrb);
            }
        }
        if (TFilter.Enabled)
        {
            TLanes.Store(la1, ref _zl1[va]); TLanes.Store(la2, ref _zl2[va]);
            TLanes.Store(ra1, ref _zr1[va]); TLanes.Store(ra2, ref _zr2[va]);
            TLanes.Store(lb1, ref _zl1[vb]); TLanes.Store(lb2, ref _zl2[vb]);
            TLanes.Store(rb1, ref _zr1[vb]); TLanes.Store(rb2, ref _zr2[vb]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(ref float at) => Vector256.LoadUnsafe(ref at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> value, ref float at) => value.StoreUnsafe(ref at);
}
