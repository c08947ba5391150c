using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Losses.Engine.Config;

namespace Losses.Engine.Synthesis;

/// <summary>The voice bank's render kernels: oscillators, Clenshaw overtones, low-pass and mix, generic over the vector width.</summary>
public sealed partial class VoiceBank
{
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

    /// <summary>Whether five partials take <see cref="OscillateFive"/> (the default) or the general loop: for the test that pins the two to the same bits.</summary>
    internal bool UnrollsFive { get; init; } = true;

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
            if (_partials == 5 && UnrollsFive)
            {
                OscillateFive<TVector, TLanes, TAmplitude>(v0, 0, n);
                OscillateFive<TVector, TLanes, TAmplitude>(v0 + width, width, n);
            }
            else
            {
                Oscillate<TVector, TLanes, TAmplitude>(v0, 0, n);
                Oscillate<TVector, TLanes, TAmplitude>(v0 + width, width, n);
            }
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

        TVector three = TLanes.Broadcast(3f), zero = TLanes.Broadcast(0f);
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
                // out r·Σₘ aₘ·sin(m·x), the drift staying r − 1. 3 − r² is a subtraction, not an FMA
                // with −1 (the same rounding: the product by −1 is exact), off the FMA units.
                TVector twoCos = TLanes.Multiply(c1, TLanes.Subtract(three, TLanes.Fma(c1, c1, TLanes.Multiply(s1, s1))));
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
    /// <see cref="Oscillate"/> for five partials, the reference voice: the same operations on the
    /// same values in the same order, with Clenshaw's recurrence written out (no loop, no register
    /// rotation: the general kernel spends more instructions on them than on its arithmetic) and
    /// what does not change within the sub-block taken out of the sample loop — the gains, and
    /// a₂ − a₄ (the first step's bₘ₊₂ is zero, so it subtracts nothing: x − 0 is x, bit for bit).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void OscillateFive<TVector, TLanes, TAmplitude>(int v, int lane, int n)
        where TVector : struct where TLanes : struct, ILanes<TVector> where TAmplitude : struct, IAmplitudeMode
    {
        TVector e = TLanes.Load(ref _env[v]);
        TVector eMul = TLanes.Load(ref _envMul[v]);
        TVector eAdd = TLanes.Load(ref _envAdd[v]);
        TVector gain = TLanes.Load(ref _gain[v]);
        TVector coupling = TAmplitude.FollowsDetune
            ? TLanes.Fma(TLanes.Broadcast(-_settings.DetuneAmplitude), TLanes.Load(ref _detune[v]), TLanes.Broadcast(1f))
            : TLanes.Broadcast(1f);

        TVector c0 = TLanes.Load(ref _cos[v]), s0 = TLanes.Load(ref _sin[v]);
        TVector tc0 = TLanes.Load(ref _turnCos[v]), ts0 = TLanes.Load(ref _turnSin[v]);
        TVector c1 = TLanes.Load(ref _overtoneCos[v]), s1 = TLanes.Load(ref _overtoneSin[v]);
        TVector tc1 = TLanes.Load(ref _overtoneTurnCos[v]), ts1 = TLanes.Load(ref _overtoneTurnSin[v]);

        // Partial k at [k·stride]: five partials, so 5·capacity floats and v + width ≤ capacity.
        int stride = _capacity;
        ref float gl = ref _gainLeft[v];
        ref float gr = ref _gainRight[v];
        TVector a1L = TLanes.Load(ref gl), a1R = TLanes.Load(ref gr);
        TVector a2L = TLanes.Load(ref Unsafe.Add(ref gl, stride)), a2R = TLanes.Load(ref Unsafe.Add(ref gr, stride));
        TVector a4L = TLanes.Load(ref Unsafe.Add(ref gl, 3 * stride)), a4R = TLanes.Load(ref Unsafe.Add(ref gr, 3 * stride));
        TVector a5L = TLanes.Load(ref Unsafe.Add(ref gl, 4 * stride)), a5R = TLanes.Load(ref Unsafe.Add(ref gr, 4 * stride));
        TVector a35L = TLanes.Subtract(TLanes.Load(ref Unsafe.Add(ref gl, 2 * stride)), a5L);
        TVector a35R = TLanes.Subtract(TLanes.Load(ref Unsafe.Add(ref gr, 2 * stride)), a5R);
        ref float sums = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_sumLeft), lane);
        ref float sumsR = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_sumRight), lane);
        ref float levels = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_level), lane);

        TVector three = TLanes.Broadcast(3f);
        for (int s = 0; s < n; s++)
        {
            e = TLanes.ClampUnit(TLanes.Fma(e, eMul, eAdd));
            TVector level = TLanes.Multiply(e, gain);
            if (TAmplitude.FollowsDetune) level = TLanes.Multiply(level, coupling);
            TLanes.Store(level, ref Unsafe.Add(ref levels, s * UnitVoices));

            // Each value's last use comes first where the order is free, so the compiler can
            // overwrite it in place (the FMAs are destructive) instead of copying it.
            TVector sinTurn = TLanes.Multiply(s0, ts0), cosTurn = TLanes.Multiply(c0, ts0);
            c0 = TLanes.Fms(c0, tc0, sinTurn);
            s0 = TLanes.Fma(s0, tc0, cosTurn);
            TVector sumL = TLanes.Multiply(s0, a1L);
            TVector sumR = TLanes.Multiply(s0, a1R);

            sinTurn = TLanes.Multiply(s1, ts1); cosTurn = TLanes.Multiply(c1, ts1);
            c1 = TLanes.Fms(c1, tc1, sinTurn);
            s1 = TLanes.Fma(s1, tc1, cosTurn);
            TVector twoCos = TLanes.Multiply(c1, TLanes.Subtract(three, TLanes.Fma(c1, c1, TLanes.Multiply(s1, s1))));
            // Harmonic m's gain aₘ is partial m − 1's: b₄ = a₄ + 2cos x·a₅, b₃ = (a₃ − a₅) + 2cos x·b₄, b₂ = (a₂ − b₄) + 2cos x·b₃, the sum sin x·(2cos x·b₂ − b₃).
            TVector b4L = TLanes.Fma(twoCos, a5L, a4L), b4R = TLanes.Fma(twoCos, a5R, a4R);
            TVector a2b4L = TLanes.Subtract(a2L, b4L), a2b4R = TLanes.Subtract(a2R, b4R);
            TVector b3L = TLanes.Fma(twoCos, b4L, a35L), b3R = TLanes.Fma(twoCos, b4R, a35R);
            TVector b2L = TLanes.Fma(twoCos, b3L, a2b4L);
            TVector b2R = TLanes.Fma(twoCos, b3R, a2b4R);
            sumL = TLanes.Fma(s1, TLanes.Fms(twoCos, b2L, b3L), sumL);
            sumR = TLanes.Fma(s1, TLanes.Fms(twoCos, b2R, b3R), sumR);
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
