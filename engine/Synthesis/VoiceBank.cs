using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Losses.Engine.Config;
using Losses.Engine.Learning;

namespace Losses.Engine.Synthesis;

/// <summary>
/// A preallocated bank of reference voices, laid out structure-of-arrays so eight voices share
/// one Vector256 lane group: per voice a percussive envelope, a detune that glides per sample,
/// a 2-pole low-pass swept by smooth noise, two accumulated, wrapped phases, and per partial
/// stereo gains. Overtone k ≥ 2 sounds at k·f₀·(1+detune); the fundamental is never detuned.
///
/// The overtones are exact harmonics of f′ = f₀·(1+detune), so one phase φ′ per voice gives them
/// all: sin(2π·kφ′) by the angle-multiplication (Chebyshev) recurrence
/// sin((k+1)x) = 2cos x·sin kx − sin((k−1)x) from one polynomial sin/cos of φ′. The fundamental
/// keeps its own phase φ₀. Per voice-sample: three polynomial sines instead of one per partial.
///
/// Rendering runs on control sub-blocks: <see cref="ControlUpdate"/> is called on a fixed grid
/// of the sample clock (every <see cref="ControlPeriod"/> samples, by the processor) and
/// <see cref="Render"/> never spans more than one sub-block, so the output does not depend on
/// the host's buffer size. Nothing after construction allocates, locks or throws.
/// </summary>
public sealed class VoiceBank
{
    public const int ControlPeriod = 32;
    private const int Lanes = 8;
    private const float SilenceLevel = 1e-4f; // −80 dB: a decaying voice below this is free again
    /// <summary>Slots beyond the polyphony where stolen voices fade out while the new notes start.</summary>
    private const int StealSlots = Lanes;
    /// <summary>A stolen voice falls 60 dB in this (freed at −80 dB): fast, yet its 16–24 kHz burst stays below −95 dBFS (StealTests).</summary>
    private const float StealFadeSeconds = 0.01f;

    private enum Stage : byte { Idle, Attack, Decay, Damp, Fade }

    private readonly float _sampleRate;
    private readonly int _partials;
    private readonly int _capacity; // rounded up to whole lane groups
    private readonly VoiceSettings _settings;
    private Rng _rng;

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
    private readonly int[] _groupActive;

    private readonly float[] _phase, _overtonePhase, _increment; // φ₀, φ′ (cycles) and f₀/fs

    // Per partial k and voice v at [k * capacity + v].
    private readonly float[] _gainLeft, _gainRight;
    private readonly float[] _panLeft, _panRight; // per partial

    // Scratch for one sub-block, in lane vectors.
    private readonly Vector256<float>[] _mixLeft = new Vector256<float>[ControlPeriod];
    private readonly Vector256<float>[] _mixRight = new Vector256<float>[ControlPeriod];
    // One lane group's partial sums and levels for a sub-block, between the two passes.
    private readonly Vector256<float>[] _sumLeft = new Vector256<float>[ControlPeriod];
    private readonly Vector256<float>[] _sumRight = new Vector256<float>[ControlPeriod];
    private readonly Vector256<float>[] _level = new Vector256<float>[ControlPeriod];

    private long _nextSerial = 1;
    private readonly float _glide;
    private readonly float _dampMul;
    private readonly float _fadeMul;
    private int _sounding; // voices in attack, decay or damp: at most the polyphony
    private readonly float _maxDetune;
    private readonly Tuning _tuning;

    public VoiceBank(VoiceSettings settings, float sampleRate, float maxDetune, ulong seed, Tuning? tuning = null)
    {
        _tuning = tuning ?? Tuning.Equal;
        _settings = settings;
        _sampleRate = sampleRate;
        _partials = settings.Partials;
        _capacity = (settings.Polyphony + StealSlots + Lanes - 1) / Lanes * Lanes;
        _rng = new Rng(seed, stream: 2);

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

        _phase = new float[n]; _overtonePhase = new float[n]; _increment = new float[n];
        int np = n * _partials;
        _gainLeft = new float[np]; _gainRight = new float[np];
        _panLeft = new float[_partials];
        _panRight = new float[_partials];
        for (int k = 0; k < _partials; k++) (_panLeft[k], _panRight[k]) = settings.Pan(k);

        _glide = settings.GlideCoefficient(sampleRate);
        _dampMul = settings.DampMultiplier(sampleRate);
        _fadeMul = MathF.Exp(-6.90775527898f / (StealFadeSeconds * sampleRate));
        _maxDetune = maxDetune;
        for (int v = 0; v < n; v++) _envMul[v] = 1f;
    }

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

        // Cosine start of the fundamental: the first sample of the attack is already non-zero.
        // Overtone k then starts at k/4 cycles of φ′.
        _phase[v] = 0.25f;
        _overtonePhase[v] = 0.25f;
        _increment[v] = f0 / _sampleRate;
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

    /// <summary>The detune glides to this value sample by sample from the current sample on.</summary>
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
    /// silent voices, the noise sweep of each low-pass, and flushing the detune glide once it
    /// has arrived (so it never decays into denormals). Idle lane groups cost one compare; the
    /// filter coefficients of a group are computed eight voices at a time.
    /// </summary>
    public void ControlUpdate()
    {
        float noiseStep = _settings.SweepHz * ControlPeriod / _sampleRate;
        int groups = _capacity / Lanes;
        for (int g = 0; g < groups; g++)
        {
            if (_groupActive[g] == 0) continue;
            int v0 = g * Lanes;
            for (int v = v0; v < v0 + Lanes; v++)
            {
                Stage stage = _stage[v];
                if (stage == Stage.Idle) continue;
                if (stage == Stage.Attack && _env[v] >= 1f)
                {
                    _stage[v] = Stage.Decay;
                    _envMul[v] = _decayMul[v];
                    _envAdd[v] = _decayAdd[v];
                }
                else if (stage != Stage.Attack && _env[v] < SilenceLevel)
                {
                    Free(v);
                    continue;
                }

                if (MathF.Abs(_detune[v] - _detuneTarget[v]) < 1e-7f) _detune[v] = _detuneTarget[v];

                // Random draws in voice order, as the scalar baseline makes them.
                float pos = _noisePos[v] + noiseStep;
                if (pos >= 1f)
                {
                    pos -= 1f;
                    _noise0[v] = _noise1[v];
                    _noise1[v] = _rng.NextFloat();
                }
                _noisePos[v] = pos;
            }
            UpdateFilters(v0);
        }
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
        _increment[v] = 0f;
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
        Vector256<float> sin = Sine.OfCycles(cycles);
        Vector256<float> cos = Sine.OfCycles(Sine.Wrap(cycles + Vector256.Create(0.25f)));
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
        if (_settings.DetuneAmplitude != 0f) Render<WithFilter, Coupled>(left, right);
        else Render<WithFilter, Uncoupled>(left, right);
    }

    /// <summary>
    /// The oscillator bank alone — sines and envelope, no low-pass — for the benchmark that
    /// measures it; the same code as <see cref="Render"/> with the filter compiled out.
    /// </summary>
    internal void RenderOscillators(Span<float> left, Span<float> right) => Render<WithoutFilter, Uncoupled>(left, right);

    private interface IFilterMode { static abstract bool Enabled { get; } }
    private readonly struct WithFilter : IFilterMode { public static bool Enabled => true; }
    private readonly struct WithoutFilter : IFilterMode { public static bool Enabled => false; }

    /// <summary>Whether the amplitude follows the detune (× (1 − k·d), <see cref="VoiceSettings.DetuneAmplitude"/>).</summary>
    private interface IAmplitudeMode { static abstract bool FollowsDetune { get; } }
    private readonly struct Coupled : IAmplitudeMode { public static bool FollowsDetune => true; }
    private readonly struct Uncoupled : IAmplitudeMode { public static bool FollowsDetune => false; }

    private void Render<TFilter, TAmplitude>(Span<float> left, Span<float> right)
        where TFilter : struct, IFilterMode where TAmplitude : struct, IAmplitudeMode
    {
        int n = left.Length;
        if (n == 0) return;
        if (n > ControlPeriod || right.Length != n) n = Math.Min(Math.Min(n, right.Length), ControlPeriod);

        Span<Vector256<float>> mixL = _mixLeft.AsSpan(0, n);
        Span<Vector256<float>> mixR = _mixRight.AsSpan(0, n);
        mixL.Clear();
        mixR.Clear();

        int groups = _capacity / Lanes;
        for (int g = 0; g < groups; g++)
        {
            if (_groupActive[g] != 0) RenderGroup<TFilter, TAmplitude>(g * Lanes, n, mixL, mixR);
        }

        for (int s = 0; s < n; s++)
        {
            left[s] = Vector256.Sum(mixL[s]);
            right[s] = Vector256.Sum(mixR[s]);
        }
    }

    /// <summary>
    /// One lane group in two sample-major passes through small scratch arrays: pass 1 runs the voice
    /// controls and every partial's oscillator into per-sample sums and levels; pass 2 runs the
    /// low-pass and the mix. Split so that the oscillators' long loop-carried chains (phase, sine,
    /// recurrence) of successive samples overlap in the core, apart from the filter's own chain.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void RenderGroup<TFilter, TAmplitude>(int v0, int n, Span<Vector256<float>> mixL, Span<Vector256<float>> mixR)
        where TFilter : struct, IFilterMode where TAmplitude : struct, IAmplitudeMode
    {
        ref float detune = ref _detune[v0];
        ref float env = ref _env[v0];
        Vector256<float> d = Load(ref detune);
        Vector256<float> dt = Load(ref _detuneTarget[v0]);
        Vector256<float> glide = Vector256.Create(_glide);
        Vector256<float> e = Load(ref env);
        Vector256<float> eMul = Load(ref _envMul[v0]);
        Vector256<float> eAdd = Load(ref _envAdd[v0]);
        Vector256<float> gain = Load(ref _gain[v0]);
        Vector256<float> one = Vector256<float>.One;
        Vector256<float> negativeCoupling = Vector256.Create(-_settings.DetuneAmplitude);

        Vector256<float> b0 = Load(ref _b0[v0]), b1 = Load(ref _b1[v0]), b2 = Load(ref _b2[v0]);
        Vector256<float> na1 = -Load(ref _a1[v0]), na2 = -Load(ref _a2[v0]);
        Vector256<float> l1 = Load(ref _zl1[v0]), l2 = Load(ref _zl2[v0]);
        Vector256<float> r1 = Load(ref _zr1[v0]), r2 = Load(ref _zr2[v0]);

        // Partial k of this group sits at [k·stride]; the arrays hold partials·capacity floats
        // and v0 + 7 < capacity, so every access below is in bounds.
        int stride = _capacity;
        int partials = _partials;
        Vector256<float> phase = Load(ref _phase[v0]);
        Vector256<float> overtonePhase = Load(ref _overtonePhase[v0]);
        Vector256<float> increment = Load(ref _increment[v0]);
        Vector256<float> quarter = Vector256.Create(0.25f);
        ref float gl0 = ref _gainLeft[v0];
        ref float gr0 = ref _gainRight[v0];
        ref Vector256<float> outL = ref MemoryMarshal.GetReference(mixL);
        ref Vector256<float> outR = ref MemoryMarshal.GetReference(mixR);
        ref Vector256<float> sumsL = ref MemoryMarshal.GetArrayDataReference(_sumLeft);
        ref Vector256<float> sumsR = ref MemoryMarshal.GetArrayDataReference(_sumRight);
        ref Vector256<float> levels = ref MemoryMarshal.GetArrayDataReference(_level);

        // Pass 1, the oscillators: only the phases and the glide carry from sample to sample, so
        // the long sine-and-recurrence chains of successive samples overlap in the core.
        for (int s = 0; s < n; s++)
        {
            // Per-sample voice controls: the detune glide and the envelope.
            d = Vector256.FusedMultiplyAdd(dt - d, glide, d);
            // The curved decay passes zero at its end: held at 0 until the voice is freed.
            e = Vector256.MaxNative(Vector256.MinNative(Vector256.FusedMultiplyAdd(e, eMul, eAdd), one), Vector256<float>.Zero);
            Unsafe.Add(ref levels, s) = TAmplitude.FollowsDetune ? e * gain * Vector256.FusedMultiplyAdd(negativeCoupling, d, one) : e * gain;

            // The fundamental is never detuned.
            phase = Sine.Wrap(phase + increment);
            Vector256<float> x = Sine.OfCycles(phase);
            Vector256<float> sumL = x * Load(ref gl0);
            Vector256<float> sumR = x * Load(ref gr0);
            if (partials > 1)
            {
                // Overtones: harmonics 2, 3, … of φ′ by sin((k+1)x) = 2cos x·sin kx − sin((k−1)x).
                overtonePhase = Sine.Wrap(Vector256.FusedMultiplyAdd(increment, one + d, overtonePhase));
                Vector256<float> sin1 = Sine.OfCycles(overtonePhase);
                Vector256<float> twoCos = Sine.OfCycles(Sine.Wrap(overtonePhase + quarter));
                twoCos += twoCos;
                Vector256<float> previous = sin1;
                x = twoCos * sin1;
                for (int k = 1; k < partials; k++)
                {
                    int i = k * stride;
                    sumL = Vector256.FusedMultiplyAdd(x, Load(ref Unsafe.Add(ref gl0, i)), sumL);
                    sumR = Vector256.FusedMultiplyAdd(x, Load(ref Unsafe.Add(ref gr0, i)), sumR);
                    Vector256<float> next = Vector256.FusedMultiplyAdd(twoCos, x, -previous);
                    previous = x;
                    x = next;
                }
            }
            Unsafe.Add(ref sumsL, s) = sumL;
            Unsafe.Add(ref sumsR, s) = sumR;
        }

        // Pass 2: low-pass per voice and channel (transposed direct form II), the level, the mix.
        for (int s = 0; s < n; s++)
        {
            Vector256<float> sumL = Unsafe.Add(ref sumsL, s), sumR = Unsafe.Add(ref sumsR, s);
            Vector256<float> yl = sumL, yr = sumR;
            if (TFilter.Enabled)
            {
                // One FMA per state update on the feedback path (y → z1 → y): the chain that
                // bounds this loop is two FMAs long instead of FMA + multiply + subtract.
                yl = Vector256.FusedMultiplyAdd(b0, sumL, l1);
                l1 = Vector256.FusedMultiplyAdd(na1, yl, Vector256.FusedMultiplyAdd(b1, sumL, l2));
                l2 = Vector256.FusedMultiplyAdd(na2, yl, b2 * sumL);
                yr = Vector256.FusedMultiplyAdd(b0, sumR, r1);
                r1 = Vector256.FusedMultiplyAdd(na1, yr, Vector256.FusedMultiplyAdd(b1, sumR, r2));
                r2 = Vector256.FusedMultiplyAdd(na2, yr, b2 * sumR);
            }
            Vector256<float> level = Unsafe.Add(ref levels, s);
            ref Vector256<float> ml = ref Unsafe.Add(ref outL, s);
            ref Vector256<float> mr = ref Unsafe.Add(ref outR, s);
            ml = Vector256.FusedMultiplyAdd(yl, level, ml);
            mr = Vector256.FusedMultiplyAdd(yr, level, mr);
        }
        Store(d, ref detune);
        Store(e, ref env);
        Store(phase, ref _phase[v0]);
        Store(overtonePhase, ref _overtonePhase[v0]);
        Store(l1, ref _zl1[v0]); Store(l2, ref _zl2[v0]);
        Store(r1, ref _zr1[v0]); Store(r2, ref _zr2[v0]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Load(ref float at) => Vector256.LoadUnsafe(ref at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector256<float> value, ref float at) => value.StoreUnsafe(ref at);
}
