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
                UpdateOscillators<Vector512<float>, Lanes512>(v0);
                UpdateFilters<Vector512<float>, Lanes512>(v0);
                continue;
            }
            if (first) UpdateOscillators<Vector256<float>, Lanes256>(v0);
            if (second) UpdateOscillators<Vector256<float>, Lanes256>(v1);
            if (first) UpdateFilters<Vector256<float>, Lanes256>(v0);
            if (second) UpdateFilters<Vector256<float>, Lanes256>(v1);
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
    /// The oscillators of <c>TLanes.Count</c> voices from <paramref name="v0"/> (one lane group, or
    /// two in a Vector512) at a control point: the phases advance by the samples rendered since the
    /// last one, the detune glides a control period, and the phasors are set from the phases — so a
    /// phasor's rounding lives one sub-block at most. A free voice's phasors are zero (they stay
    /// zero however long its group renders). Element-wise, so a lane's bits do not depend on the width.
    /// </summary>
    private void UpdateOscillators<TVector, TLanes>(int v0)
        where TVector : struct where TLanes : struct, ILanes<TVector>
    {
        TVector elapsed = TLanes.Broadcast((float)_elapsed);
        TVector increment = TLanes.Load(ref _increment[v0]);
        TVector phase = Sine.Wrap<TVector, TLanes>(TLanes.Fma(elapsed, increment, TLanes.Load(ref _phase[v0])));
        TVector overtonePhase = Sine.Wrap<TVector, TLanes>(TLanes.Fma(elapsed, TLanes.Load(ref _overtoneIncrement[v0]), TLanes.Load(ref _overtonePhase[v0])));

        TVector d = TLanes.Load(ref _detune[v0]);
        TVector target = TLanes.Load(ref _detuneTarget[v0]);
        d = TLanes.Fma(TLanes.Subtract(target, d), TLanes.Broadcast(_controlGlide), d);
        d = TLanes.Select(TLanes.LessThan(TLanes.Abs(TLanes.Subtract(d, target)), TLanes.Broadcast(1e-7f)), target, d);
        TVector overtoneIncrement = TLanes.Multiply(increment, TLanes.Add(TLanes.Broadcast(1f), d));
        TLanes.Store(d, ref _detune[v0]);
        TLanes.Store(overtoneIncrement, ref _overtoneIncrement[v0]);
        TLanes.Store(phase, ref _phase[v0]);
        TLanes.Store(overtonePhase, ref _overtonePhase[v0]);

        TVector sounding = TLanes.GreaterThan(increment, TLanes.Broadcast(0f));
        (TVector cos, TVector sin) = Sine.CosSinOfCycles<TVector, TLanes>(phase);
        TLanes.Store(TLanes.And(sounding, cos), ref _cos[v0]);
        TLanes.Store(TLanes.And(sounding, sin), ref _sin[v0]);
        (cos, sin) = Sine.CosSinOfCycles<TVector, TLanes>(overtonePhase);
        TLanes.Store(TLanes.And(sounding, cos), ref _overtoneCos[v0]);
        TLanes.Store(TLanes.And(sounding, sin), ref _overtoneSin[v0]);
        (cos, sin) = Sine.CosSinOfCycles<TVector, TLanes>(Sine.Wrap<TVector, TLanes>(overtoneIncrement));
        TLanes.Store(cos, ref _overtoneTurnCos[v0]);
        TLanes.Store(sin, ref _overtoneTurnSin[v0]);
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
    private void UpdateFilter(int v) => UpdateFilters<Vector256<float>, Lanes256>(v / Lanes * Lanes);

    /// <summary>
    /// The low-pass coefficients of <c>TLanes.Count</c> voices from <paramref name="v0"/> at the
    /// cutoff the smooth noise gives now: Butterworth (RBJ cookbook), sin and cos of w0 by the
    /// polynomial sine — a voice's cost at control rate is a few vector operations instead of two
    /// libm calls.
    /// </summary>
    private void UpdateFilters<TVector, TLanes>(int v0)
        where TVector : struct where TLanes : struct, ILanes<TVector>
    {
        TVector t = TLanes.Load(ref _noisePos[v0]);
        // smoothstep: continuous slope between the noise points
        TVector s = TLanes.Multiply(TLanes.Multiply(t, t), TLanes.Subtract(TLanes.Broadcast(3f), TLanes.Multiply(TLanes.Broadcast(2f), t)));
        TVector n0 = TLanes.Load(ref _noise0[v0]);
        TVector noise = TLanes.Add(n0, TLanes.Multiply(TLanes.Subtract(TLanes.Load(ref _noise1[v0]), n0), s));
        float low = _settings.CutoffLowHz, high = _settings.CutoffHighHz;
        TVector cutoff = TLanes.Add(TLanes.Broadcast(low), TLanes.Multiply(TLanes.Broadcast(high - low), noise));
        // w0 in cycles: at most 0.45, inside the sine's [−½, ½].
        TVector cycles = TLanes.Divide(TLanes.Min(cutoff, TLanes.Broadcast(0.45f * _sampleRate)), TLanes.Broadcast(_sampleRate));
        (TVector cos, TVector sin) = Sine.CosSinOfCycles<TVector, TLanes>(cycles);
        TVector one = TLanes.Broadcast(1f);
        TVector alpha = TLanes.Divide(sin, TLanes.Broadcast(2f * 0.70710678f));
        TVector a0 = TLanes.Add(one, alpha);
        TVector b1 = TLanes.Divide(TLanes.Subtract(one, cos), a0);
        TVector half = TLanes.Multiply(b1, TLanes.Broadcast(0.5f));
        TLanes.Store(half, ref _b0[v0]);
        TLanes.Store(b1, ref _b1[v0]);
        TLanes.Store(half, ref _b2[v0]);
        TLanes.Store(TLanes.Divide(TLanes.Multiply(TLanes.Broadcast(-2f), cos), a0), ref _a1[v0]);
        TLanes.Store(TLanes.Divide(TLanes.Subtract(one, alpha), a0), ref _a2[v0]);
    }
}
