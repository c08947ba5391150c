using System.Runtime.Intrinsics;
using Losses.Engine.Core;

namespace Losses.Engine.Learning;

/// <summary>
/// What the piece trains: a target drawn at random, parameters θ learned by gradient descent on a
/// loss of the residuals. Every model is one subclass — its draws, its data and its evaluation
/// kernels (a vector path and the scalar twin it is tested against); the step, the divergence
/// guard and the counters are written here once.
/// </summary>
/// <remarks>
/// Real-time safe: a subclass's constructor allocates every buffer; afterwards no member
/// allocates, locks, logs or throws (span-taking members throw only on a programmer error).
/// <para>
/// Vector paths are Vector256 only (8 lanes), on purpose: the summation order, and so the bits,
/// are then the same on every AVX2 and AVX-512 machine, which keeps an offline render
/// bit-identical to the live performance. Where Vector256 is not hardware-accelerated the scalar
/// twin runs instead.
/// </para>
/// </remarks>
public abstract class Model
{
    /// <summary>The frame carries four parameters per model.</summary>
    public const int MaxParameters = 4;

    /// <summary>Divergence threshold on |θ|.</summary>
    public const float MaxTheta = 1e4f;

    private readonly float[] _target;
    private readonly float[] _theta;
    private readonly float[] _gradient;
    private readonly float[] _scratch;
    private readonly float[] _direction;

    protected Model(int parameterCount, LossKind loss, float learningRate)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(parameterCount, MaxParameters);
        _target = new float[parameterCount];
        _theta = new float[parameterCount];
        _gradient = new float[parameterCount];
        _scratch = new float[parameterCount];
        _direction = new float[parameterCount];
        Loss = loss;
        LearningRate = learningRate;
    }

    public int ParameterCount => _theta.Length;
    public LossKind Loss { get; set; }
    public float LearningRate { get; set; }

    /// <summary>The target's parameters (what θ should become).</summary>
    public ReadOnlySpan<float> Target => _target;

    /// <summary>The learned parameters.</summary>
    public ReadOnlySpan<float> Theta => _theta;

    /// <summary>∂L/∂θ of the last <see cref="Step"/>, at θ before its update (zero after a new target).</summary>
    public ReadOnlySpan<float> Gradient => _gradient;

    /// <summary>Loss of the last <see cref="Step"/> (at θ before its update); 0 after a new target. Never NaN.</summary>
    public float LastLoss { get; private set; }

    /// <summary>Whether <see cref="Step"/> keeps <see cref="LastResidual"/> (one more pass over the batch).</summary>
    public bool TracksResidual { get; set; }

    /// <summary>With <see cref="TracksResidual"/>: <see cref="MeanResidual"/> of the last step's batch at θ before its update (the original piece's signed loss).</summary>
    public float LastResidual { get; private set; }

    /// <summary>Steps since the last <see cref="NewTarget"/>.</summary>
    public long Steps { get; private set; }

    /// <summary>Targets drawn since construction.</summary>
    public int Targets { get; private set; }

    /// <summary>Divergence resets since construction.</summary>
    public int Resets { get; private set; }

    protected Span<float> TargetValues => _target;
    protected Span<float> ThetaValues => _theta;

    /// <summary>Draws a new problem (the order of the draws is the subclass's, documented there).</summary>
    public void NewTarget(ref Rng rng)
    {
        DrawTarget(ref rng);
        Targets++;
        _gradient.AsSpan().Clear();
        LastLoss = 0f;
        Steps = 0;
    }

    /// <summary>
    /// Back to no target, as constructed, without allocating (a piece started again). What a target
    /// draws (its data, the subclass's) is drawn again before anything reads it.
    /// </summary>
    public void Reset()
    {
        _target.AsSpan().Clear();
        _theta.AsSpan().Clear();
        _gradient.AsSpan().Clear();
        _scratch.AsSpan().Clear();
        _direction.AsSpan().Clear();
        LastLoss = 0f;
        LastResidual = 0f;
        Steps = 0;
        Targets = 0;
        Resets = 0;
    }

    /// <summary>Draws the data the next evaluation uses (a minibatch); a full-batch model draws nothing.</summary>
    public virtual void DrawBatch(ref Rng rng) { }

    /// <summary>Loss and gradient at the current θ over the current batch, vectorised; no update.</summary>
    public float Evaluate(Span<float> gradient)
    {
        if (gradient.Length < ParameterCount) throw new ArgumentException($"gradient needs {ParameterCount} slots", nameof(gradient));
        return Vector256.IsHardwareAccelerated ? VectorPath(gradient) : ScalarPath(gradient);
    }

    /// <summary>Scalar twin of <see cref="Evaluate"/>: plain loops, the same maths.</summary>
    public float EvaluateScalar(Span<float> gradient)
    {
        if (gradient.Length < ParameterCount) throw new ArgumentException($"gradient needs {ParameterCount} slots", nameof(gradient));
        return ScalarPath(gradient);
    }

    /// <summary>
    /// One gradient step: draw the batch, evaluate, θ −= lr·<see cref="Direction"/>(g), Steps++. On divergence (non-finite
    /// loss, gradient or new θ, or |θ| &gt; <see cref="MaxTheta"/>) θ is redrawn as for a new target
    /// (<see cref="DrawTheta"/>), Resets++, and the fresh θ is evaluated on the same batch. Always
    /// returns a finite loss.
    /// </summary>
    public float Step(ref Rng rng)
    {
        DrawBatch(ref rng);
        Span<float> g = _gradient;
        float loss = Vector256.IsHardwareAccelerated ? VectorPath(g) : ScalarPath(g);
        if (TracksResidual) LastResidual = MeanResidual();
        if (!TryUpdate(loss))
        {
            DrawTheta(ref rng);
            Resets++;
            loss = Vector256.IsHardwareAccelerated ? VectorPath(g) : ScalarPath(g);
            if (!float.IsFinite(loss) || !AllFinite(g))
            {
                // Unreachable with sane data; stay NaN-free regardless.
                loss = float.MaxValue;
                g.Clear();
            }
        }
        Steps++;
        LastLoss = loss;
        return loss;
    }

    /// <summary>The model's whole numbers the visuals draw it from (the knot's frequencies), empty if none.</summary>
    public virtual ReadOnlySpan<int> Integers => default;

    /// <summary>Where the target is sampled (the cubic's x), drawn by the visuals until the next target; empty if the model has no such points.</summary>
    public virtual ReadOnlySpan<float> PointX => default;

    /// <summary>Mean of the residuals model − target over the current batch at the current θ (signed: the original piece's detune).</summary>
    public abstract float MeanResidual();

    /// <summary>
    /// Where a step goes from the gradient (before the learning rate): the gradient itself, or a
    /// model's preconditioned version of it. Also for tests and tools.
    /// </summary>
    public virtual void Direction(ReadOnlySpan<float> gradient, Span<float> direction) => gradient.CopyTo(direction);

    /// <summary>Fills target, θ and the model's own data of a new problem.</summary>
    protected abstract void DrawTarget(ref Rng rng);

    /// <summary>A fresh θ, from the distribution of a new target's θ.</summary>
    protected abstract void DrawTheta(ref Rng rng);

    protected abstract float VectorPath(Span<float> gradient);

    protected abstract float ScalarPath(Span<float> gradient);

    /// <summary>θ ← θ − lr·direction, unless the loss, the gradient or the new θ is non-finite or too large: then θ stays and false says so.</summary>
    private bool TryUpdate(float loss)
    {
        if (!float.IsFinite(loss) || !AllFinite(_gradient)) return false;
        Direction(_gradient, _direction);
        for (int j = 0; j < _theta.Length; j++)
        {
            float t = _theta[j] - LearningRate * _direction[j];
            if (!float.IsFinite(t) || MathF.Abs(t) > MaxTheta) return false;
            _scratch[j] = t;
        }
        _scratch.AsSpan().CopyTo(_theta);
        return true;
    }

    private static bool AllFinite(ReadOnlySpan<float> v)
    {
        for (int i = 0; i < v.Length; i++)
            if (!float.IsFinite(v[i])) return false;
        return true;
    }
}
