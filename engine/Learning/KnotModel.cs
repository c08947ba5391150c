using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Losses.Engine.Learning;

/// <summary>
/// Parts 2/3 model: the Lissajous knot g(t) = ⟨cos(nx t + a), cos(ny t + b), cos(nz t + c)⟩.
/// The integer frequencies n are drawn, not learned; minibatch SGD learns the phases θ = (a, b, c).
/// </summary>
/// <remarks>
/// Real-time safe: the constructor allocates every buffer; afterwards no member allocates,
/// locks, logs or throws (span-taking members throw only on a programmer error — a span of
/// the wrong length — and <see cref="Step"/> takes no span at all).
/// <para>
/// Maths: with u = n·t, S = sin u, C = cos u, the model is C·cos θ − S·sin θ and the target
/// C·cos a − S·sin a, so the residual is r = C·(cos θ − cos a) − S·(sin θ − sin a), with the two
/// differences formed once per call in double. This needs one sin/cos pair per point and axis
/// (Vector256.SinCos) and keeps r accurate as θ → a, where forming n·t + θ in float (n·t up to
/// 800) would round θ to ~6e-5. ∂model/∂θ = −sin(u + θ) = −(S·cos θ + C·sin θ).
/// </para>
/// <para>Vector256 only, as in <see cref="CubicModel"/>: same bits on every AVX2/AVX-512 machine.</para>
/// </remarks>
public sealed class KnotModel
{
    public const int ParameterCount = 3;

    /// <summary>
    /// Default learning rate the engine uses: the loss falls ≈ (1 − lr/6)² per step, so 0.1 takes
    /// ≈ 140 steps (2.3 s of a held chord at 60 steps/s) to fall 100× — the convergence spans the
    /// chord instead of being over in half a second (0.3), and is far faster than the reference 0.025.
    /// </summary>
    public const float DefaultLearningRate = 0.1f;

    /// <summary>Divergence threshold on |θ|.</summary>
    public const float MaxTheta = 1e4f;

    private const int Pad = 16;

    private readonly float _tStep;
    private readonly int _maxIndex;
    private readonly float[] _batch;    // t of the last step's minibatch, padded with zeros
    private readonly float[] _tScratch; // copy of the caller's t for Evaluate, padded
    private readonly int[] _n = new int[ParameterCount];
    private readonly float[] _target = new float[ParameterCount];
    private readonly float[] _theta = new float[ParameterCount];
    private readonly float[] _gradient = new float[ParameterCount];
    private readonly float[] _scratch = new float[ParameterCount];

    public KnotModel(int batchSize, LossKind loss = LossKind.HalfMse, float learningRate = DefaultLearningRate,
        float tMax = 100f, float tStep = 0.1f)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (!(float.IsFinite(tMax) && tMax >= 0f)) throw new ArgumentOutOfRangeException(nameof(tMax));
        if (!(float.IsFinite(tStep) && tStep > 0f)) throw new ArgumentOutOfRangeException(nameof(tStep));
        double q = (double)tMax / tStep;
        if (q > int.MaxValue / 2) throw new ArgumentOutOfRangeException(nameof(tStep), "grid too fine");
        BatchSize = batchSize;
        Loss = loss;
        LearningRate = learningRate;
        _tStep = tStep;
        // floor(tMax/tStep), tolerant of binary rounding (100 / 0.1f = 999.99998…).
        _maxIndex = (int)Math.Floor(q * (1 + 1e-6));
        int padded = (batchSize + Pad - 1) / Pad * Pad;
        _batch = new float[padded];
        _tScratch = new float[padded];
        _n[0] = _n[1] = _n[2] = 1;
    }

    public int BatchSize { get; }

    /// <summary>Largest grid index a minibatch draws: t ∈ {0, tStep, …, <see cref="GridMax"/>·tStep}.</summary>
    public int GridMax => _maxIndex;

    public LossKind Loss { get; set; }
    public float LearningRate { get; set; }

    /// <summary>Target phases a, b, c.</summary>
    public ReadOnlySpan<float> Target => _target;

    /// <summary>Learned phases.</summary>
    public ReadOnlySpan<float> Theta => _theta;

    /// <summary>∂L/∂θ of the last <see cref="Step"/>, at θ before its update (zero after a new target).</summary>
    public ReadOnlySpan<float> Gradient => _gradient;

    /// <summary>Integer frequencies nx, ny, nz.</summary>
    public ReadOnlySpan<int> Frequencies => _n;

    /// <summary>t values of the last step's minibatch (zeros before the first step).</summary>
    public ReadOnlySpan<float> Batch => new(_batch, 0, BatchSize);

    /// <summary>Loss of the last <see cref="Step"/> (at θ before its update); 0 after a new target. Never NaN.</summary>
    public float LastLoss { get; private set; }

    /// <summary>Steps since the last <see cref="NewTarget"/> / <see cref="SetTarget"/>.</summary>
    public long Steps { get; private set; }

    /// <summary>Divergence resets since construction.</summary>
    public int Resets { get; private set; }

    /// <summary>
    /// Draws a new problem. Order: nx, ny, nz ~ U{1..maxFrequency}; a, b, c ~ U[0,1]; θ ~ U[0,1].
    /// A <paramref name="maxFrequency"/> below 1 is treated as 1.
    /// </summary>
    public void NewTarget(ref Rng rng, int maxFrequency)
    {
        int max = Math.Max(1, maxFrequency);
        for (int j = 0; j < ParameterCount; j++) _n[j] = rng.NextInt(1, max);
        for (int j = 0; j < ParameterCount; j++) _target[j] = rng.NextFloat();
        for (int j = 0; j < ParameterCount; j++) _theta[j] = rng.NextFloat();
        Reset();
    }

    /// <summary>Sets the problem explicitly (tests, tools).</summary>
    public void SetTarget(ReadOnlySpan<int> n, ReadOnlySpan<float> target, ReadOnlySpan<float> theta)
    {
        if (n.Length != ParameterCount) throw new ArgumentException("n needs 3 values", nameof(n));
        if (target.Length != ParameterCount) throw new ArgumentException("target needs 3 values", nameof(target));
        if (theta.Length != ParameterCount) throw new ArgumentException("theta needs 3 values", nameof(theta));
        for (int j = 0; j < ParameterCount; j++)
            if (!float.IsFinite(target[j]) || !float.IsFinite(theta[j]))
                throw new ArgumentException("values must be finite");
        n.CopyTo(_n);
        target.CopyTo(_target);
        theta.CopyTo(_theta);
        Reset();
    }

    /// <summary>Loss and gradient over the given t values (1 ≤ length ≤ <see cref="BatchSize"/>) in one vectorised pass; no update.</summary>
    public float Evaluate(ReadOnlySpan<float> t, Span<float> gradient)
    {
        int count = CopyIn(t, gradient);
        return Vector256.IsHardwareAccelerated ? EvaluateVector(_tScratch, count, gradient) : EvaluateScalarCore(_tScratch, count, gradient);
    }

    /// <summary>Scalar twin of <see cref="Evaluate"/>: plain loops, the same maths.</summary>
    public float EvaluateScalar(ReadOnlySpan<float> t, Span<float> gradient)
    {
        int count = CopyIn(t, gradient);
        return EvaluateScalarCore(_tScratch, count, gradient);
    }

    /// <summary>
    /// One SGD step: draw <see cref="BatchSize"/> grid indices i ~ U{0..floor(tMax/tStep)} with
    /// replacement (t = i·tStep), evaluate, θ −= lr·g, Steps++. On divergence (non-finite loss,
    /// gradient or new θ, or |θ| &gt; 1e4) θ is redrawn ~U[0,1], Resets++, and the fresh θ is
    /// evaluated on the same minibatch. Always returns a finite loss.
    /// </summary>
    public float Step(ref Rng rng)
    {
        for (int i = 0; i < BatchSize; i++)
            _batch[i] = rng.NextInt(0, _maxIndex) * _tStep;
        Span<float> g = _gradient;
        float loss = EvaluateInternal(g);
        bool ok = float.IsFinite(loss) && AllFinite(g);
        if (ok)
        {
            float lr = LearningRate;
            for (int j = 0; j < ParameterCount; j++)
            {
                float v = _theta[j] - lr * g[j];
                _scratch[j] = v;
                if (!float.IsFinite(v) || MathF.Abs(v) > MaxTheta) ok = false;
            }
        }
        if (ok)
        {
            _scratch.AsSpan().CopyTo(_theta);
        }
        else
        {
            for (int j = 0; j < ParameterCount; j++) _theta[j] = rng.NextFloat();
            Resets++;
            loss = EvaluateInternal(g);
            if (!float.IsFinite(loss) || !AllFinite(g))
            {
                loss = float.MaxValue; // unreachable with finite θ (|r| ≤ 2); stay NaN-free regardless
                g.Clear();
            }
        }
        Steps++;
        LastLoss = loss;
        return loss;
    }

    private float EvaluateInternal(Span<float> g) =>
        Vector256.IsHardwareAccelerated ? EvaluateVector(_batch, BatchSize, g) : EvaluateScalarCore(_batch, BatchSize, g);

    private int CopyIn(ReadOnlySpan<float> t, Span<float> gradient)
    {
        if (gradient.Length < ParameterCount) throw new ArgumentException("gradient needs 3 slots", nameof(gradient));
        if (t.Length < 1 || t.Length > BatchSize) throw new ArgumentException($"t needs 1..{BatchSize} values", nameof(t));
        t.CopyTo(_tScratch);
        _tScratch.AsSpan(t.Length).Clear(); // pad lanes: finite, and masked anyway
        return t.Length;
    }

    /// <summary>Per-axis constants: cos θ, sin θ, cos θ − cos a, sin θ − sin a (differences in double).</summary>
    private void Coefficients(int j, out float cosT, out float sinT, out float dCos, out float dSin)
    {
        (double st, double ct) = Math.SinCos(_theta[j]);
        (double sa, double ca) = Math.SinCos(_target[j]);
        cosT = (float)ct;
        sinT = (float)st;
        dCos = (float)(ct - ca);
        dSin = (float)(st - sa);
    }

    private float EvaluateScalarCore(float[] ts, int count, Span<float> gradient)
    {
        bool mae = Loss == LossKind.MeanAbsolute;
        float l = 0f;
        for (int j = 0; j < ParameterCount; j++)
        {
            Coefficients(j, out float cosT, out float sinT, out float dCos, out float dSin);
            float nj = _n[j];
            float gj = 0f;
            for (int i = 0; i < count; i++)
            {
                (float s, float c) = MathF.SinCos(nj * ts[i]);
                float r = c * dCos - s * dSin;
                float dm = -(s * cosT + c * sinT);
                float w;
                if (mae)
                {
                    w = r > 0f ? 1f : r < 0f ? -1f : 0f;
                    l += MathF.Abs(r);
                }
                else
                {
                    w = r;
                    l += r * r;
                }
                gj += w * dm;
            }
            gradient[j] = gj;
        }
        return Finish(count, mae, l, gradient);
    }

    private float EvaluateVector(float[] ts, int count, Span<float> gradient)
    {
        bool mae = Loss == LossKind.MeanAbsolute;
        var one = Vector256<float>.One;
        var zero = Vector256<float>.Zero;
        var countV = Vector256.Create(count);
        ref float t0 = ref MemoryMarshal.GetArrayDataReference(ts);

        Coefficients(0, out float cx, out float sx, out float dcx, out float dsx);
        Coefficients(1, out float cy, out float sy, out float dcy, out float dsy);
        Coefficients(2, out float cz, out float sz, out float dcz, out float dsz);
        var nx = Vector256.Create((float)_n[0]);
        var ny = Vector256.Create((float)_n[1]);
        var nz = Vector256.Create((float)_n[2]);
        var cxV = Vector256.Create(cx); var sxV = Vector256.Create(sx);
        var cyV = Vector256.Create(cy); var syV = Vector256.Create(sy);
        var czV = Vector256.Create(cz); var szV = Vector256.Create(sz);
        var dcxV = Vector256.Create(dcx); var dsxV = Vector256.Create(dsx);
        var dcyV = Vector256.Create(dcy); var dsyV = Vector256.Create(dsy);
        var dczV = Vector256.Create(dcz); var dszV = Vector256.Create(dsz);

        Vector256<float> l = default, gx = default, gy = default, gz = default;
        // ts is padded to a multiple of 16 ≥ count: every load is in bounds; lanes ≥ count are masked.
        for (int i = 0; i < count; i += Vector256<float>.Count)
        {
            var t = Vector256.LoadUnsafe(ref t0, (nuint)i);
            var mask = i + Vector256<float>.Count > count
                ? Vector256.LessThan(Vector256.Create(i) + Vector256<int>.Indices, countV).AsSingle()
                : Vector256<float>.AllBitsSet;
            Axis(nx * t, cxV, sxV, dcxV, dsxV, mask, mae, one, zero, ref l, ref gx);
            Axis(ny * t, cyV, syV, dcyV, dsyV, mask, mae, one, zero, ref l, ref gy);
            Axis(nz * t, czV, szV, dczV, dszV, mask, mae, one, zero, ref l, ref gz);
        }
        gradient[0] = Vector256.Sum(gx);
        gradient[1] = Vector256.Sum(gy);
        gradient[2] = Vector256.Sum(gz);
        return Finish(count, mae, Vector256.Sum(l), gradient);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Axis(Vector256<float> u, Vector256<float> cosT, Vector256<float> sinT,
        Vector256<float> dCos, Vector256<float> dSin, Vector256<float> mask, bool mae,
        Vector256<float> one, Vector256<float> zero, ref Vector256<float> l, ref Vector256<float> g)
    {
        (Vector256<float> s, Vector256<float> c) = Vector256.SinCos(u);
        var r = (c * dCos - s * dSin) & mask;
        var dm = -(s * cosT + c * sinT);
        Vector256<float> w;
        if (mae)
        {
            w = (Vector256.GreaterThan(r, zero) & one) - (Vector256.LessThan(r, zero) & one);
            l += Vector256.Abs(r);
        }
        else
        {
            w = r;
            l += r * r;
        }
        g += w * dm;
    }

    /// <summary>Turns sums into means over count × 3 elements; the gradient span holds the raw sums.</summary>
    private static float Finish(int count, bool mae, float l, Span<float> gradient)
    {
        float inv = 1f / (count * ParameterCount);
        for (int j = 0; j < ParameterCount; j++) gradient[j] *= inv;
        return mae ? l * inv : 0.5f * l * inv;
    }

    private void Reset()
    {
        _gradient.AsSpan().Clear();
        LastLoss = 0f;
        Steps = 0;
    }

    private static bool AllFinite(ReadOnlySpan<float> v)
    {
        for (int i = 0; i < v.Length; i++)
            if (!float.IsFinite(v[i])) return false;
        return true;
    }
}
