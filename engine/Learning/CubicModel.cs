using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Losses.Engine.Core;

namespace Losses.Engine.Learning;

/// <summary>
/// Part 1/4 model: f(x) = a x³ + b x² + c x + d, gradient descent on θ = (a, b, c, d).
/// </summary>
/// <remarks>
/// The loss is a quadratic in θ whose Hessian is the points' Gram matrix G = mean(φφᵀ),
/// φ = (x³, x², x, 1) — condition number ≈ 65 for uniform x — so plain descent in these
/// coefficients removes the error along x²/1 in a step or two and along x³/x only over a hundred.
/// <para>
/// <see cref="CubicDescent.Legendre"/> (the default) is stochastic steepest descent on the same
/// cubic written in the Legendre polynomials orthonormal on [−1, 1], f = Σ βₖ·√(2k+1)·Pₖ(x). With
/// θ = M·β (a fixed 4×4 map, <see cref="LegendreToMonomial"/>) the gradient in β is Mᵀ∇_θL and a
/// step along it is θ −= s·(M·Mᵀ)·∇_θL; M·Mᵀ is the inverse Gram matrix of the uniform
/// distribution, not of the drawn points. Each step draws a minibatch of the points and takes
/// lr × the exact line-search step s along the minibatch's gradient. In this basis the points'
/// Gram matrix is near the identity (condition ≈ 2), so a phrase converges in a dozen presses;
/// the minibatches and the remaining conditioning give each target its own pace. (A fixed step
/// instead of the line search lets about one phrase in 13 converge too slowly or too fast to hear
/// within a phrase; the exact line search on all points, every target at nearly the same pace:
/// docs/learning.md.) θ stays the monomial a, b, c, d for the frame and the visuals.
/// </para>
/// <para>
/// <see cref="CubicDescent.Newton"/> steps along G⁻¹·∇L with the drawn points' G: the error
/// shrinks by (1 − lr) per step in every direction, every target at the same pace (the half-MSE
/// loss by (1 − lr)² per step) — a fixed envelope rather than a model learning.
/// </para>
/// </remarks>
public sealed class CubicModel : Model
{
    /// <summary>
    /// Legendre descent: the fraction of the exact line-search step taken. 0.19 keeps every phrase
    /// of the example and four-parts performances, seeds 1–20, inside the audible-convergence bounds
    /// while their pace differs (docs/learning.md: 0.17 or 0.2 each let a phrase out).
    /// </summary>
    public const float LegendreLearningRate = 0.19f;

    /// <summary>
    /// Newton steps: the loss falls by (1 − 0.17)² ≈ 0.69 per key press, so a 12-press phrase starts
    /// at the full detune and ends at 1/60 of it, every phrase alike.
    /// </summary>
    public const float NewtonLearningRate = 0.17f;

    /// <summary>The plain-descent rate that suits these points: stable up to 2/λmax ≈ 1.79.</summary>
    public const float PlainLearningRate = 1.0f;

    /// <summary>Legendre descent's minibatch: 100 points drawn with replacement from the target's 100 (a bootstrap resample) per step.</summary>
    public const int LegendreBatchSize = 100;

    /// <summary>Each descent's own batch: Legendre a minibatch, the others every point.</summary>
    public static int DefaultBatchSizeOf(CubicDescent descent) => descent == CubicDescent.Legendre ? LegendreBatchSize : 0;

    /// <summary>Each descent's own default learning rate.</summary>
    public static float DefaultLearningRateOf(CubicDescent descent) => descent switch
    {
        CubicDescent.Newton => NewtonLearningRate,
        CubicDescent.Plain => PlainLearningRate,
        _ => LegendreLearningRate,
    };

    /// <summary>
    /// M, row-major: θ = (a, b, c, d) = M·β for f = β₀·1 + β₁·√3·x + β₂·√5·(3x² − 1)/2 + β₃·√7·(5x³ − 3x)/2.
    /// </summary>
    public static ReadOnlySpan<double> LegendreToMonomial =>
    [
        0, 0, 0, 2.5 * Sqrt7,
        0, 0, 1.5 * Sqrt5, 0,
        0, Sqrt3, 0, -1.5 * Sqrt7,
        1, 0, -0.5 * Sqrt5, 0,
    ];

    private const double Sqrt3 = 1.7320508075688772, Sqrt5 = 2.23606797749979, Sqrt7 = 2.6457513110645907;

    // M·Mᵀ (the inverse of the uniform distribution's Gram matrix of x³, x², x, 1), row-major; exact in binary.
    private static ReadOnlySpan<double> LegendreMetric =>
    [
        43.75, 0, -26.25, 0,
        0, 11.25, 0, -3.75,
        -26.25, 0, 18.75, 0,
        0, -3.75, 0, 2.25,
    ];

    // The inverse Gram matrix, row-major, in double: a Newton direction is 16 multiply-adds.
    private readonly double[] _inverseGram = new double[16];
    private readonly double[] _gauss = new double[32];

    // Arrays padded with zeros to a multiple of 16 floats (one 64-byte cache line): every whole
    // 8-lane load, the last included, stays inside the array (8 would do for the loads alone).
    private const int Pad = 16;

    private readonly float[] _x;   // padded with zeros to a multiple of Pad
    private readonly float[] _x2;
    private readonly float[] _x3;
    private readonly float[] _y;

    // A minibatch: its points' grid indices and a copy of their values (padded as above), so the
    // kernels read contiguous arrays either way. Null for a full batch.
    private readonly int[]? _indices;
    private readonly float[]? _batchX, _batchX2, _batchX3, _batchY;
    private readonly IntRange _pointRange;

    // What the kernels read: the points, or the current minibatch.
    private float[] _ax, _ax2, _ax3, _ay;
    private int _count;

    /// <param name="learningRate">null: the descent's own (<see cref="DefaultLearningRateOf"/>).</param>
    /// <param name="batchSize">Points per step drawn from the target's (with replacement); 0 = all of them; null = the descent's own (<see cref="DefaultBatchSizeOf"/>).</param>
    public CubicModel(int points, LossKind loss = LossKind.HalfMse, float? learningRate = null,
        CubicDescent descent = CubicDescent.Legendre, int? batchSize = null)
        : base(parameterCount: 4, loss, learningRate ?? DefaultLearningRateOf(descent))
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 1);
        int batch = batchSize ?? DefaultBatchSizeOf(descent);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        Points = points;
        Descent = descent;
        BatchSize = batch;
        int padded = (points + Pad - 1) / Pad * Pad;
        _x = new float[padded];
        _x2 = new float[padded];
        _x3 = new float[padded];
        _y = new float[padded];
        if (batch > 0)
        {
            int paddedBatch = (batch + Pad - 1) / Pad * Pad;
            _indices = new int[batch];
            _batchX = new float[paddedBatch];
            _batchX2 = new float[paddedBatch];
            _batchX3 = new float[paddedBatch];
            _batchY = new float[paddedBatch];
            _pointRange = new IntRange(points);
        }
        (_ax, _ax2, _ax3, _ay, _count) = (_x, _x2, _x3, _y, points);
        // A valid (if dull) state before the first NewTarget: evenly spaced x, zero target and θ.
        for (int i = 0; i < points; i++)
            _x[i] = points == 1 ? 0f : -1f + 2f * i / (points - 1);
        Precompute();
    }


    public int Points { get; }

    public CubicDescent Descent { get; }

    /// <summary>Points per step, drawn with replacement from the target's; 0: every point (full batch).</summary>
    public int BatchSize { get; }

    /// <summary>x of the current batch's points (all the points for a full batch).</summary>
    public ReadOnlySpan<float> BatchX => new(_ax, 0, _count);

    /// <summary>The sample points, length <see cref="Points"/>.</summary>
    public ReadOnlySpan<float> X => new(_x, 0, Points);

    /// <summary>Order of the draws: a, b, c, d ~ U[−1,1]; θ0..3 ~ U[−1,1]; then <see cref="Points"/> x ~ U[−1,1].</summary>
    protected override void DrawTarget(ref Rng rng)
    {
        Span<float> target = TargetValues;
        for (int j = 0; j < target.Length; j++) target[j] = rng.Uniform(-1f, 1f);
        DrawTheta(ref rng);
        for (int i = 0; i < Points; i++) _x[i] = rng.Uniform(-1f, 1f);
        // Until the first step draws a batch, evaluations (the target's first loss) see every point.
        (_ax, _ax2, _ax3, _ay, _count) = (_x, _x2, _x3, _y, Points);
        Precompute();
    }

    protected override void DrawTheta(ref Rng rng)
    {
        Span<float> theta = ThetaValues;
        for (int j = 0; j < theta.Length; j++) theta[j] = rng.Uniform(-1f, 1f);
    }

    /// <summary>The target's sample points x (the visualiser draws the curves over them).</summary>
    public override ReadOnlySpan<float> PointX => X;

    /// <summary>A minibatch: <see cref="BatchSize"/> of the points drawn with replacement, each as rng.NextInt(0, Points − 1).</summary>
    public override void DrawBatch(ref Rng rng)
    {
        if (_indices is null) return;
        Rng local = rng;
        local.NextInts(_indices, _pointRange);
        rng = local;
        for (int b = 0; b < _indices.Length; b++)
        {
            int i = _indices[b];
            _batchX![b] = _x[i];
            _batchX2![b] = _x2[i];
            _batchX3![b] = _x3[i];
            _batchY![b] = _y[i];
        }
        (_ax, _ax2, _ax3, _ay, _count) = (_batchX!, _batchX2!, _batchX3!, _batchY!, _indices.Length);
    }

    /// <summary>Over the current batch (all the points for a full batch).</summary>
    public override float MeanResidual()
    {
        ReadOnlySpan<float> theta = Theta;
        double sum = 0;
        for (int i = 0; i < _count; i++)
            sum += theta[0] * _ax3[i] + theta[1] * _ax2[i] + theta[2] * _ax[i] + theta[3] - _ay[i];
        return (float)(sum / _count);
    }

    /// <summary>
    /// Legendre: the exact line-search step along the Legendre gradient, s·M·Mᵀ·∇L with
    /// s = ∇Lᵀ·M·Mᵀ·∇L / mean(f_d(x)²) over the batch (f_d the cubic with coefficients d = M·Mᵀ·∇L: the
    /// half-MSE loss's curvature along d); the learning rate is the fraction of it taken.
    /// Newton: G⁻¹·∇L (exact for half MSE: one step at lr 1 lands on the target); plain: ∇L.
    /// </summary>
    public override void Direction(ReadOnlySpan<float> gradient, Span<float> direction)
    {
        if (Descent == CubicDescent.Plain)
        {
            gradient.CopyTo(direction);
            return;
        }
        ReadOnlySpan<double> inverse = Descent == CubicDescent.Legendre ? LegendreMetric : _inverseGram;
        double d0 = 0, d1 = 0, d2 = 0, d3 = 0;
        for (int i = 0; i < 4; i++)
        {
            double d = inverse[4 * i] * gradient[0] + inverse[4 * i + 1] * gradient[1]
                + inverse[4 * i + 2] * gradient[2] + inverse[4 * i + 3] * gradient[3];
            if (i == 0) d0 = d; else if (i == 1) d1 = d; else if (i == 2) d2 = d; else d3 = d;
        }
        double scale = 1;
        if (Descent == CubicDescent.Legendre)
        {
            double slope = gradient[0] * d0 + gradient[1] * d1 + gradient[2] * d2 + gradient[3] * d3;
            double curvature = 0;
            for (int i = 0; i < _count; i++)
            {
                double f = d0 * _ax3[i] + d1 * _ax2[i] + d2 * _ax[i] + d3;
                curvature += f * f;
            }
            curvature /= _count;
            // curvature 0 means every batch point's φ is orthogonal to d, and then so is the gradient: no step.
            scale = curvature > 0 ? slope / curvature : 0;
        }
        direction[0] = (float)(scale * d0);
        direction[1] = (float)(scale * d1);
        direction[2] = (float)(scale * d2);
        direction[3] = (float)(scale * d3);
    }

    protected override float VectorPath(Span<float> gradient) =>
        Loss == LossKind.HalfMse ? VectorKernel<HalfMseLoss>(gradient) : VectorKernel<MeanAbsoluteLoss>(gradient);

    protected override float ScalarPath(Span<float> gradient) =>
        Loss == LossKind.HalfMse ? ScalarKernel<HalfMseLoss>(gradient) : ScalarKernel<MeanAbsoluteLoss>(gradient);

    private float ScalarKernel<TLoss>(Span<float> gradient) where TLoss : struct, ILoss
    {
        ReadOnlySpan<float> theta = Theta;
        float a = theta[0], b = theta[1], c = theta[2], d = theta[3];
        float l = 0f, ga = 0f, gb = 0f, gc = 0f, gd = 0f;
        int n = _count;
        float[] xs = _ax, x2s = _ax2, x3s = _ax3, ys = _ay;
        for (int i = 0; i < n; i++)
        {
            float x = xs[i], x2 = x2s[i], x3 = x3s[i];
            float r = a * x3 + b * x2 + c * x + d - ys[i];
            l += TLoss.Term(r, out float w);
            ga += w * x3;
            gb += w * x2;
            gc += w * x;
            gd += w;
        }
        return Finish<TLoss>(n, l, ga, gb, gc, gd, gradient);
    }

    private float VectorKernel<TLoss>(Span<float> gradient) where TLoss : struct, ILoss
    {
        ReadOnlySpan<float> theta = Theta;
        var a = Vector256.Create(theta[0]);
        var b = Vector256.Create(theta[1]);
        var c = Vector256.Create(theta[2]);
        var d = Vector256.Create(theta[3]);
        Vector256<float> l = default, ga = default, gb = default, gc = default, gd = default;
        ref float x0 = ref MemoryMarshal.GetArrayDataReference(_ax);
        ref float x20 = ref MemoryMarshal.GetArrayDataReference(_ax2);
        ref float x30 = ref MemoryMarshal.GetArrayDataReference(_ax3);
        ref float y0 = ref MemoryMarshal.GetArrayDataReference(_ay);
        int n = _count;
        var count = Vector256.Create(n);
        // Arrays are padded to a multiple of 16 ≥ n, so every 8-wide load below is in bounds;
        // lanes at or past n are zeroed by the mask (exact: r & 0 = +0).
        for (int i = 0; i < n; i += Vector256<float>.Count)
        {
            var x = Vector256.LoadUnsafe(ref x0, (nuint)i);
            var x2 = Vector256.LoadUnsafe(ref x20, (nuint)i);
            var x3 = Vector256.LoadUnsafe(ref x30, (nuint)i);
            var y = Vector256.LoadUnsafe(ref y0, (nuint)i);
            var r = a * x3 + b * x2 + c * x + d - y;
            if (i + Vector256<float>.Count > n)
                r &= Vector256.LessThan(Vector256.Create(i) + Vector256<int>.Indices, count).AsSingle();
            l += TLoss.Term(r, out var w);
            ga += w * x3;
            gb += w * x2;
            gc += w * x;
            gd += w;
        }
        return Finish<TLoss>(n, Vector256.Sum(l), Vector256.Sum(ga), Vector256.Sum(gb), Vector256.Sum(gc), Vector256.Sum(gd), gradient);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish<TLoss>(int n, float l, float ga, float gb, float gc, float gd, Span<float> gradient)
        where TLoss : struct, ILoss
    {
        float inv = 1f / n;
        gradient[0] = ga * inv;
        gradient[1] = gb * inv;
        gradient[2] = gc * inv;
        gradient[3] = gd * inv;
        return TLoss.Mean(l, inv);
    }

    /// <summary>x², x³ and the target's y at every point, and the inverse Gram matrix, once per target.</summary>
    private void Precompute()
    {
        PrecomputeValues();
        if (Descent == CubicDescent.Newton) InvertGram();
    }

    private void PrecomputeValues()
    {
        ReadOnlySpan<float> target = Target;
        float a = target[0], b = target[1], c = target[2], d = target[3];
        for (int i = 0; i < Points; i++)
        {
            float x = _x[i];
            float x2 = x * x;
            float x3 = x2 * x;
            _x2[i] = x2;
            _x3[i] = x3;
            _y[i] = a * x3 + b * x2 + c * x + d;
        }
    }

    /// <summary>
    /// G = mean(φφᵀ) plus a ridge of 1e-6 of its mean eigenvalue (so fewer than four distinct
    /// points still give a bounded direction), inverted by Gauss–Jordan with partial pivoting in
    /// double. Allocation-free; about a microsecond for 100 points.
    /// </summary>
    private void InvertGram()
    {
        double[] a = _gauss; // 4 rows of [G | I]
        Array.Clear(a);
        for (int i = 0; i < Points; i++)
        {
            double x = _x[i];
            Span<double> phi = [x * x * x, x * x, x, 1.0];
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 4; c++)
                    a[8 * r + c] += phi[r] * phi[c];
        }
        double trace = 0;
        for (int r = 0; r < 4; r++)
        {
            for (int c = 0; c < 4; c++) a[8 * r + c] /= Points;
            trace += a[9 * r];
        }
        for (int r = 0; r < 4; r++)
        {
            a[9 * r] += 1e-6 * trace / 4;
            a[8 * r + 4 + r] = 1.0;
        }
        for (int c = 0; c < 4; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < 4; r++)
                if (Math.Abs(a[8 * r + c]) > Math.Abs(a[8 * pivot + c])) pivot = r;
            if (pivot != c)
                for (int k = 0; k < 8; k++) (a[8 * c + k], a[8 * pivot + k]) = (a[8 * pivot + k], a[8 * c + k]);
            double inv = 1.0 / a[8 * c + c];
            for (int k = 0; k < 8; k++) a[8 * c + k] *= inv;
            for (int r = 0; r < 4; r++)
            {
                if (r == c) continue;
                double f = a[8 * r + c];
                if (f == 0) continue;
                for (int k = 0; k < 8; k++) a[8 * r + k] -= f * a[8 * c + k];
            }
        }
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++)
                _inverseGram[4 * r + c] = a[8 * r + 4 + c];
    }
}
