using System.Runtime.Intrinsics;
using Losses.Engine.Core;

namespace Losses.Engine.Learning;

/// <summary>
/// Parts 2/3 model: the Lissajous knot g(t) = ⟨cos(nx t + a), cos(ny t + b), cos(nz t + c)⟩.
/// The integer frequencies n are drawn, not learned; minibatch SGD learns the phases θ = (a, b, c)
/// on t drawn from the grid {0, tStep, …, tMax}.
/// </summary>
/// <remarks>
/// Maths: with u = n·t, S = sin u, C = cos u, the model is C·cos θ − S·sin θ and the target
/// C·cos a − S·sin a, so the residual is r = C·(cos θ − cos a) − S·(sin θ − sin a), with the two
/// differences formed once per evaluation in double. This keeps r accurate as θ → a, where forming
/// n·t + θ in float (n·t up to 800) would round θ to ~6e-5. ∂model/∂θ = −sin(u + θ) = −(S·cos θ + C·sin θ).
/// <para>
/// Two ways to get S and C. The table: n is fixed per target and t lies on the grid, so sin and
/// cos of n·tᵢ for the three axes are tabulated once per target (in double, stored as float) as
/// one 32-byte row per grid point, ⟨S_x, C_x, S_y, C_y, S_z, C_z, 0, 0⟩. A half-MSE evaluation
/// then needs only the minibatch's Σsin², Σcos², Σsin·cos per axis — one row load and two FMAs
/// per point — and other losses a row load and a few operations per point. Grids above
/// <see cref="MaxTabulatedGrid"/> points are not tabulated (memory) and take a vector SinCos of
/// n·t per point and axis instead.
/// </para>
/// </remarks>
public sealed partial class KnotModel : Model
{
    /// <summary>
    /// Default learning rate the engine uses: the loss falls ≈ (1 − lr/6)² per step, so 0.1 takes
    /// ≈ 140 steps (2.3 s of a held chord at 60 steps/s) to fall 100× — the convergence spans the
    /// chord instead of being over in half a second (0.3), and is far faster than the reference 0.025.
    /// </summary>
    public const float DefaultLearningRate = 0.1f;

    /// <summary>Largest grid (points) whose sin/cos table is kept: 64 Ki points = 2 MiB of rows.</summary>
    public const int MaxTabulatedGrid = 1 << 16;

    private const int Axes = 3;
    private const int RowWidth = 8; // floats per table row: S_x, C_x, S_y, C_y, S_z, C_z, 0, 0
    private const int Pad = 16;     // as CubicModel: a multiple of 16 floats, so the SinCos path's last 8-wide load stays in bounds

    private readonly float _tStep;
    private readonly int _maxIndex;
    private readonly int _minFrequency, _maxFrequency;
    private readonly int[] _n = new int[Axes];
    private readonly int[] _indices;  // grid indices of the current minibatch
    private readonly float[] _batch;  // their t = i·tStep, padded with zeros (the SinCos path)
    private readonly double[] _sinTarget = new double[Axes], _cosTarget = new double[Axes];
    private readonly IntRange _grid; // the index draws: U{0..GridMax}

    // The table (null when the grid is larger than MaxTabulatedGrid).
    private readonly double[]? _gridSin, _gridCos; // sin and cos of each grid t, for the per-target table
    private readonly float[]? _rows;               // one row per grid index, see RowWidth

    /// <param name="learningRate">null: <see cref="DefaultLearningRate"/>.</param>
    public KnotModel(int batchSize, LossKind loss = LossKind.HalfMse, float? learningRate = null,
        float tMax = 100f, float tStep = 0.1f, int maxFrequency = 8, int minFrequency = 1)
        : base(parameterCount: Axes, loss, learningRate ?? DefaultLearningRate)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (!(float.IsFinite(tMax) && tMax >= 0f)) throw new ArgumentOutOfRangeException(nameof(tMax));
        if (!(float.IsFinite(tStep) && tStep > 0f)) throw new ArgumentOutOfRangeException(nameof(tStep));
        double q = (double)tMax / tStep;
        if (q > int.MaxValue / 2) throw new ArgumentOutOfRangeException(nameof(tStep), "grid too fine");
        BatchSize = batchSize;
        _tStep = tStep;
        _minFrequency = Math.Max(0, minFrequency);
        _maxFrequency = Math.Max(_minFrequency, maxFrequency);
        // floor(tMax/tStep), tolerant of binary rounding (100 / 0.1f = 999.99998…).
        _maxIndex = (int)Math.Floor(q * (1 + 1e-6));
        _batch = new float[(batchSize + Pad - 1) / Pad * Pad];
        _indices = new int[batchSize];
        _grid = new IntRange(_maxIndex + 1);
        if (_maxIndex < MaxTabulatedGrid)
        {
            // sin and cos of the grid's float t, once: a new target only runs short double recurrences.
            _gridSin = new double[_maxIndex + 1];
            _gridCos = new double[_maxIndex + 1];
            for (int i = 0; i <= _maxIndex; i++)
                (_gridSin[i], _gridCos[i]) = Math.SinCos((double)(i * _tStep));
            _rows = new float[(_maxIndex + 1) * RowWidth];
        }
        _n[0] = _n[1] = _n[2] = 1;
        Tabulate();
    }


    /// <summary>
    /// false (default): loss, gradient and mean residual are means over the batch and the three axes.
    /// true: summed over the axes, mean over the batch (the original piece: ½·Σ_axes r², its gradient
    /// not divided by 3, its residual the batch mean of rx + ry + rz) — 3× the default's.
    /// </summary>
    public bool SumOverAxes { get; init; }

    private int AxisDivisor => SumOverAxes ? 1 : Axes;

    /// <summary>Whether evaluations read the per-target sin/cos table.</summary>
    public bool Tabulated => _rows != null;

    public int BatchSize { get; }

    /// <summary>Largest grid index a minibatch draws: t ∈ {0, tStep, …, <see cref="GridMax"/>·tStep}.</summary>
    public int GridMax => _maxIndex;

    public float TStep => _tStep;

    /// <summary>Integer frequencies nx, ny, nz.</summary>
    public ReadOnlySpan<int> Frequencies => _n;

    /// <summary>Grid indices i of the current minibatch (t = i·tStep; zeros before the first draw).</summary>
    public ReadOnlySpan<int> BatchIndices => _indices;

    /// <summary>Order of the draws: nx, ny, nz ~ U{minFrequency..maxFrequency} (1..8 by default); a, b, c ~ U[0,1]; θ ~ U[0,1].</summary>
    protected override void DrawTarget(ref Rng rng)
    {
        for (int j = 0; j < Axes; j++) _n[j] = rng.NextInt(_minFrequency, _maxFrequency);
        Span<float> target = TargetValues;
        for (int j = 0; j < Axes; j++) target[j] = rng.NextFloat();
        DrawTheta(ref rng);
        Tabulate();
    }

    protected override void DrawTheta(ref Rng rng)
    {
        Span<float> theta = ThetaValues;
        for (int j = 0; j < Axes; j++) theta[j] = rng.NextFloat();
    }

    /// <summary>
    /// <see cref="BatchSize"/> grid indices i ~ U{0..GridMax} with replacement, draw for draw as
    /// rng.NextInt(0, GridMax), by <see cref="Rng.NextInts"/>: no divide and no serial multiply
    /// chain, which cost more than the evaluation.
    /// </summary>
    public override void DrawBatch(ref Rng rng)
    {
        // A local copy: the generator's state then stays in registers rather than going through memory.
        Rng local = rng;
        local.NextInts(_indices, _grid);
        rng = local;
        // Only the SinCos path reads t itself; the table path reads rows by index.
        if (_rows == null)
            for (int i = 0; i < BatchSize; i++) _batch[i] = _indices[i] * _tStep;
    }

    /// <summary>The target's integers nₓ, n_y, n_z (the visualiser draws the knot from them).</summary>
    public override ReadOnlySpan<int> Integers => Frequencies;

    public override float MeanResidual()
    {
        double sum = 0;
        for (int j = 0; j < Axes; j++)
        {
            Coefficients(j, out _, out _, out float dCos, out float dSin);
            for (int i = 0; i < BatchSize; i++)
            {
                float s, c;
                if (_rows != null) (s, c) = (_rows[_indices[i] * RowWidth + 2 * j], _rows[_indices[i] * RowWidth + 2 * j + 1]);
                else (s, c) = MathF.SinCos(_n[j] * _batch[i]);
                sum += c * dCos - s * dSin;
            }
        }
        return (float)(sum / (BatchSize * AxisDivisor));
    }

    protected override float VectorPath(Span<float> gradient) =>
        _rows == null
            ? (Loss == LossKind.HalfMse ? SinCosVector<HalfMseLoss>(gradient) : SinCosVector<MeanAbsoluteLoss>(gradient))
            : (Loss == LossKind.HalfMse ? FromSums(SumsVector(), gradient) : RowsVector<MeanAbsoluteLoss>(gradient));

    protected override float ScalarPath(Span<float> gradient) =>
        _rows == null
            ? (Loss == LossKind.HalfMse ? SinCosScalar<HalfMseLoss>(gradient) : SinCosScalar<MeanAbsoluteLoss>(gradient))
            : (Loss == LossKind.HalfMse ? FromSums(SumsScalar(), gradient) : RowsScalar<MeanAbsoluteLoss>(gradient));
}
