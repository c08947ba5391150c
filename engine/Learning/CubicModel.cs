using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Losses.Protocol;

namespace Losses.Engine.Learning;

/// <summary>
/// Part 1/4 model: f(x) = a x³ + b x² + c x + d, full-batch gradient descent on θ = (a, b, c, d).
/// </summary>
/// <remarks>
/// The loss is a quadratic in θ whose Hessian is the points' Gram matrix G = mean(φφᵀ),
/// φ = (x³, x², x, 1) — condition number ≈ 65 for uniform x — so plain descent removes the error
/// along x²/1 in a step or two and along x³/x only over a hundred. <see cref="CubicDescent.Newton"/>
/// steps along G⁻¹·∇L instead: the error shrinks by (1 − lr) per step in every direction, so
/// every target converges at the same audible pace (the half-MSE loss by (1 − lr)² per step).
/// </remarks>
public sealed class CubicModel : Model
{
    /// <summary>
    /// Default learning rate the engine uses (Newton steps): the loss falls by (1 − 0.17)² ≈ 0.69 per
    /// key press, so a 12-press phrase starts at the full detune and ends at 1/60 of it.
    /// </summary>
    public const float DefaultLearningRate = 0.17f;

    /// <summary>The plain-descent rate that suits these points: stable up to 2/λmax ≈ 1.79.</summary>
    public const float PlainLearningRate = 1.0f;

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

    public CubicModel(int points, LossKind loss = LossKind.HalfMse, float learningRate = DefaultLearningRate,
        CubicDescent descent = CubicDescent.Newton)
        : base(parameterCount: 4, loss, learningRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 1);
        Points = points;
        Descent = descent;
        int padded = (points + Pad - 1) / Pad * Pad;
        _x = new float[padded];
        _x2 = new float[padded];
        _x3 = new float[padded];
        _y = new float[padded];
        // A valid (if dull) state before the first NewTarget: evenly spaced x, zero target and θ.
        for (int i = 0; i < points; i++)
            _x[i] = points == 1 ? 0f : -1f + 2f * i / (points - 1);
        Precompute();
    }

    public override ModelKind Kind => ModelKind.Cubic;

    public int Points { get; }

    public CubicDescent Descent { get; }

    /// <summary>The sample points, length <see cref="Points"/>.</summary>
    public ReadOnlySpan<float> X => new(_x, 0, Points);

    /// <summary>Order of the draws: a, b, c, d ~ U[−1,1]; θ0..3 ~ U[−1,1]; then <see cref="Points"/> x ~ U[−1,1].</summary>
    protected override void DrawTarget(ref Rng rng)
    {
        Span<float> target = TargetValues;
        for (int j = 0; j < target.Length; j++) target[j] = rng.Uniform(-1f, 1f);
        DrawTheta(ref rng);
        for (int i = 0; i < Points; i++) _x[i] = rng.Uniform(-1f, 1f);
        Precompute();
    }

    protected override void DrawTheta(ref Rng rng)
    {
        Span<float> theta = ThetaValues;
        for (int j = 0; j < theta.Length; j++) theta[j] = rng.Uniform(-1f, 1f);
    }

    /// <summary>Also the sample points, after a new target: the visualiser draws the curves over them.</summary>
    public override void WriteFrame(ref Frame frame, bool training, bool newTarget)
    {
        base.WriteFrame(ref frame, training, newTarget);
        frame.CubicTargets = Targets;
        if (!newTarget) return;
        int count = Math.Min(Points, Frame.MaxPoints);
        X[..count].CopyTo(frame.Points);
        frame.PointCount = count;
    }

    public override float MeanResidual()
    {
        ReadOnlySpan<float> theta = Theta;
        double sum = 0;
        for (int i = 0; i < Points; i++)
            sum += theta[0] * _x3[i] + theta[1] * _x2[i] + theta[2] * _x[i] + theta[3] - _y[i];
        return (float)(sum / Points);
    }

    /// <summary>Newton: G⁻¹·∇L (exact for half MSE: one step at lr 1 lands on the target); plain: ∇L.</summary>
    public override void Direction(ReadOnlySpan<float> gradient, Span<float> direction)
    {
        if (Descent == CubicDescent.Plain)
        {
            gradient.CopyTo(direction);
            return;
        }
        double[] inverse = _inverseGram;
        for (int i = 0; i < 4; i++)
            direction[i] = (float)(inverse[4 * i] * gradient[0] + inverse[4 * i + 1] * gradient[1]
                + inverse[4 * i + 2] * gradient[2] + inverse[4 * i + 3] * gradient[3]);
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
        int n = Points;
        float[] xs = _x, x2s = _x2, x3s = _x3, ys = _y;
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
        ref float x0 = ref MemoryMarshal.GetArrayDataReference(_x);
        ref float x20 = ref MemoryMarshal.GetArrayDataReference(_x2);
        ref float x30 = ref MemoryMarshal.GetArrayDataReference(_x3);
        ref float y0 = ref MemoryMarshal.GetArrayDataReference(_y);
        int n = Points;
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

/// <summary>How the cubic steps from its gradient.</summary>
public enum CubicDescent
{
    /// <summary>Along G⁻¹·∇L (Gauss–Newton, the points' Gram matrix G): every target converges at the same pace (default).</summary>
    Newton,

    /// <summary>Along ∇L: fast along some directions of the error, slow along others (the reference implementation).</summary>
    Plain,
}
