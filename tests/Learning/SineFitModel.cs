using System.Runtime.Intrinsics;
using Losses.Engine.Core;
using Losses.Engine.Learning;

namespace Losses.Tests.Learning;

/// <summary>
/// A third model, written as a newcomer would add one: fit y = a·sin πx + b·cos πx + c to a target of
/// the same form at points drawn in [−1, 1]. θ = (a, b, c); full batch. It is one class here, one
/// contract subclass (<see cref="SineFitModelTests"/>), one scene (tests/Visualiser/SineFitScene.cs)
/// and one catalog entry (tests/Parts/ThirdModelTests.cs): nothing in the engine names it.
/// </summary>
public sealed class SineFitModel : Model
{
    public const float DefaultLearningRate = 0.8f;
    private readonly float[] _x, _sin, _cos, _y;

    public SineFitModel(int points, LossKind loss = LossKind.HalfMse, float learningRate = DefaultLearningRate) : base(3, loss, learningRate)
    {
        _x = new float[points];
        _sin = new float[points];
        _cos = new float[points];
        _y = new float[points];
    }

    public ReadOnlySpan<float> X => _x;
    public override ReadOnlySpan<float> PointX => _x;

    /// <summary>Draws the target (a, b, c), then the points, then θ — each uniform in [−1, 1].</summary>
    protected override void DrawTarget(ref Rng rng)
    {
        Span<float> t = TargetValues;
        for (int j = 0; j < 3; j++) t[j] = rng.Uniform(-1f, 1f);
        for (int i = 0; i < _x.Length; i++)
        {
            float x = rng.Uniform(-1f, 1f);
            _x[i] = x;
            _sin[i] = MathF.Sin(MathF.PI * x);
            _cos[i] = MathF.Cos(MathF.PI * x);
            _y[i] = t[0] * _sin[i] + t[1] * _cos[i] + t[2];
        }
        DrawTheta(ref rng);
    }

    protected override void DrawTheta(ref Rng rng)
    {
        Span<float> theta = ThetaValues;
        for (int j = 0; j < 3; j++) theta[j] = rng.Uniform(-1f, 1f);
    }

    public override float MeanResidual()
    {
        ReadOnlySpan<float> th = Theta;
        float sum = 0f;
        for (int i = 0; i < _x.Length; i++) sum += th[0] * _sin[i] + th[1] * _cos[i] + th[2] - _y[i];
        return _x.Length == 0 ? 0f : sum / _x.Length;
    }

    protected override float VectorPath(Span<float> gradient) =>
        Loss == LossKind.HalfMse ? Vector<HalfMseLoss>(gradient) : Vector<MeanAbsoluteLoss>(gradient);

    protected override float ScalarPath(Span<float> gradient) =>
        Loss == LossKind.HalfMse ? Scalar<HalfMseLoss>(gradient) : Scalar<MeanAbsoluteLoss>(gradient);

    private float Vector<TLoss>(Span<float> gradient) where TLoss : ILoss
    {
        ReadOnlySpan<float> th = Theta;
        Vector256<float> a = Vector256.Create(th[0]), b = Vector256.Create(th[1]), c = Vector256.Create(th[2]);
        Vector256<float> sum = Vector256<float>.Zero, gs = sum, gc = sum, g1 = sum;
        int n = _x.Length, i = 0;
        for (; i <= n - 8; i += 8)
        {
            Vector256<float> s = Vector256.Create(_sin, i), co = Vector256.Create(_cos, i);
            Vector256<float> r = a * s + b * co + c - Vector256.Create(_y, i);
            sum += TLoss.Term(r, out Vector256<float> w);
            gs += w * s;
            gc += w * co;
            g1 += w;
        }
        gradient[0] = Vector256.Sum(gs);
        gradient[1] = Vector256.Sum(gc);
        gradient[2] = Vector256.Sum(g1);
        return Scalar<TLoss>(i, Vector256.Sum(sum), gradient);
    }

    private float Scalar<TLoss>(Span<float> gradient) where TLoss : ILoss
    {
        gradient[..3].Clear();
        return Scalar<TLoss>(0, 0f, gradient);
    }

    /// <summary>Adds points <paramref name="from"/>.. to the sums (the loss's in <paramref name="total"/>, the gradient's in <paramref name="gradient"/>), then takes the means.</summary>
    private float Scalar<TLoss>(int from, float total, Span<float> gradient) where TLoss : ILoss
    {
        ReadOnlySpan<float> th = Theta;
        for (int i = from; i < _x.Length; i++)
        {
            float r = th[0] * _sin[i] + th[1] * _cos[i] + th[2] - _y[i];
            total += TLoss.Term(r, out float w);
            gradient[0] += w * _sin[i];
            gradient[1] += w * _cos[i];
            gradient[2] += w;
        }
        float inverse = 1f / Math.Max(1, _x.Length);
        for (int j = 0; j < 3; j++) gradient[j] *= inverse;
        return TLoss.Mean(total, inverse);
    }
}

/// <summary>The model contract, run on the sine fit: one subclass with a double-precision reference of its loss.</summary>
public sealed class SineFitModelTests : ModelContract<SineFitModel>
{
    protected override SineFitModel Make(int size, LossKind kind, float learningRate) => new(size, kind, learningRate);
    protected override float DefaultLearningRate => SineFitModel.DefaultLearningRate;
    protected override int DefaultSize => 64;

    /// <summary>The Gram matrix of (sin πx, cos πx, 1) on points uniform in [−1, 1] is ≈ diag(½, ½, 1): at lr 0.8 the error falls to 0.6 (sin, cos) and 0.2 (constant) a step.</summary>
    protected override int StepsToFall100x => 20;

    private static double Value(ReadOnlySpan<float> c, double x) => c[0] * Math.Sin(Math.PI * x) + c[1] * Math.Cos(Math.PI * x) + c[2];

    protected override double BatchLoss(SineFitModel m, LossKind kind, double[] theta, double[]? gradient = null, double[]? scale = null)
    {
        double sum = 0;
        var g = new double[3];
        var s = new double[3];
        ReadOnlySpan<float> x = m.X;
        for (int i = 0; i < x.Length; i++)
        {
            double[] basis = [Math.Sin(Math.PI * x[i]), Math.Cos(Math.PI * x[i]), 1];
            double r = theta[0] * basis[0] + theta[1] * basis[1] + theta[2] - Value(m.Target, x[i]);
            double w = kind == LossKind.HalfMse ? r : Math.Sign(r);
            sum += kind == LossKind.HalfMse ? r * r : Math.Abs(r);
            for (int j = 0; j < 3; j++)
            {
                g[j] += w * basis[j];
                s[j] += Math.Abs(w * basis[j]);
            }
        }
        int n = Math.Max(1, x.Length);
        for (int j = 0; j < 3; j++)
        {
            if (gradient is not null) gradient[j] = g[j] / n;
            if (scale is not null) scale[j] = s[j] / n;
        }
        return kind == LossKind.HalfMse ? 0.5 * sum / n : sum / n;
    }

    protected override double FullLoss(SineFitModel m) => BatchLoss(m, LossKind.HalfMse, ToDouble(m.Theta));
}
