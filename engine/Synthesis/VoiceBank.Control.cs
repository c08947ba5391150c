using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Losses.Engine.Config;

namespace Losses.Engine.Synthesis;

/// <summary>The voice bank's control-period work: envelope stages, freeing, the detune glide, oscillator phases and the low-pass sweep.</summary>
public sealed partial class VoiceBank
{
    /// <summary>
    /// Control-rate work at a sub-block boundary of the sample clock: envelope stages, freeing
    /// silent voices, the noise sweep of each low-pass, the detune glide (flushed once it has
    /// arrived, so it never decays into denormals) and the oscillators' phases and phasors. Idle
    /// lane groups cost one compare; the rest is computed eight voices at a time (the oscillators
    /// and low-passes sixteen on the wide path).
    /// </summary>
    public void ControlUpdate()
    {
        Vector256<float> noiseStep = Vector256.Create(_settings.SweepHz * ControlPeriod / _sampleRate);
        bool wide = _width == VectorWidth.Wide512;
        int groups = _capacity / Lanes; // a multiple of 4: the capacity is whole render units
        // Two lane groups at a time: their stage changes and noise draws first, in voice order as
        // one at a time would make them (neither touches the other's voices, nor the oscillators'
        // or filters' state of its own group), then their oscillators and low-passes side by side —
        // 16 voices a vector on the wide path where both sound, two independent chains otherwise.
        for (int g = 0; g < groups; g += 2)
        {
            bool first = _groupActive[g] != 0, second = _groupActive[g + 1] != 0;
            if (!first && !second) continue;
            int v0 = g * Lanes, v1 = v0 + Lanes;
            if (first) StagesAndNoise(v0, noiseStep);
            if (second) StagesAndNoise(v1, noiseStep);
            if (first && second && wide)
            {
                UpdateOscillators512(v0);
                UpdateFilters512(v0);
                continue;
            }
            if (first) UpdateOscillators(v0);
            if (second) UpdateOscillators(v1);
            if (first) UpdateFilters(v0);
            if (second) UpdateFilters(v1);
        }
        _elapsed = 0;
    }

    /// <summary>
    /// A sounding lane group's control-rate bookkeeping: stage changes and freeing (rare: found
    /// eight voices at a time, handled one by one) and the smooth noise moving on.
    /// </summary>
    private void StagesAndNoise(int v0, Vector256<float> noiseStep)
    {
        Vector256<float> one = Vector256<float>.One;
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
    /// <see cref="UpdateOscillators"/> for two lane groups from <paramref name="v0"/> in one
    /// Vector512: the same operations, element by element, so the same bits.
    /// </summary>
    private void UpdateOscillators512(int v0)
    {
        Vector512<float> elapsed = Vector512.Create((float)_elapsed);
        Vector512<float> increment = Load512(ref _increment[v0]);
        Vector512<float> phase = Sine.Wrap(Vector512.FusedMultiplyAdd(elapsed, increment, Load512(ref _phase[v0])));
        Vector512<float> overtonePhase = Sine.Wrap(Vector512.FusedMultiplyAdd(elapsed, Load512(ref _overtoneIncrement[v0]), Load512(ref _overtonePhase[v0])));

        Vector512<float> d = Load512(ref _detune[v0]);
        Vector512<float> target = Load512(ref _detuneTarget[v0]);
        d = Vector512.FusedMultiplyAdd(target - d, Vector512.Create(_controlGlide), d);
        d = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(d - target), Vector512.Create(1e-7f)), target, d);
        Vector512<float> overtoneIncrement = increment * (Vector512<float>.One + d);
        Store512(d, ref _detune[v0]);
        Store512(overtoneIncrement, ref _overtoneIncrement[v0]);
        Store512(phase, ref _phase[v0]);
        Store512(overtonePhase, ref _overtonePhase[v0]);

        Vector512<float> sounding = Vector512.GreaterThan(increment, Vector512<float>.Zero);
        (Vector512<float> cos, Vector512<float> sin) = Sine.CosSinOfCycles(phase);
        Store512(sounding & cos, ref _cos[v0]);
        Store512(sounding & sin, ref _sin[v0]);
        (cos, sin) = Sine.CosSinOfCycles(overtonePhase);
        Store512(sounding & cos, ref _overtoneCos[v0]);
        Store512(sounding & sin, ref _overtoneSin[v0]);
        (cos, sin) = Sine.CosSinOfCycles(Sine.Wrap(overtoneIncrement));
        Store512(cos, ref _overtoneTurnCos[v0]);
        Store512(sin, ref _overtoneTurnSin[v0]);
    }

    /// <summary><see cref="UpdateFilters"/> for two lane groups from <paramref name="v0"/> in one Vector512 (the same bits).</summary>
    private void UpdateFilters512(int v0)
    {
        Vector512<float> t = Load512(ref _noisePos[v0]);
        Vector512<float> s = t * t * (Vector512.Create(3f) - Vector512.Create(2f) * t); // smoothstep: continuous slope between the noise points
        Vector512<float> n0 = Load512(ref _noise0[v0]);
        Vector512<float> noise = n0 + (Load512(ref _noise1[v0]) - n0) * s;
        float low = _settings.CutoffLowHz, high = _settings.CutoffHighHz;
        Vector512<float> cutoff = Vector512.Create(low) + Vector512.Create(high - low) * noise;
        // w0 in cycles: at most 0.45, inside the sine's [−½, ½].
        Vector512<float> cycles = Vector512.Min(cutoff, Vector512.Create(0.45f * _sampleRate)) / Vector512.Create(_sampleRate);
        (Vector512<float> cos, Vector512<float> sin) = Sine.CosSinOfCycles(cycles);
        Vector512<float> one = Vector512<float>.One;
        Vector512<float> alpha = sin / Vector512.Create(2f * 0.70710678f);
        Vector512<float> a0 = one + alpha;
        Vector512<float> b1 = (one - cos) / a0;
        Vector512<float> half = b1 * Vector512.Create(0.5f);
        Store512(half, ref _b0[v0]);
        Store512(b1, ref _b1[v0]);
        Store512(half, ref _b2[v0]);
        Store512(Vector512.Create(-2f) * cos / a0, ref _a1[v0]);
        Store512((one - alpha) / a0, ref _a2[v0]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Load512(ref float at) => Vector512.LoadUnsafe(ref at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512(Vector512<float> value, ref float at) => value.StoreUnsafe(ref at);
}
