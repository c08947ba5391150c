using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
/// <para>
/// <see cref="Step"/> draws its minibatch from the fixed grid t = i·tStep and n is fixed per
/// target, so sin(n·tᵢ) and cos(n·tᵢ) of the three axes are tabulated once per target (in
/// double, stored as float: more accurate than a float SinCos of n·t up to 800) as one
/// 32-byte row per grid point, ⟨S_x, C_x, S_y, C_y, S_z, C_z, 0, 0⟩. A half-MSE step then needs
/// only the minibatch's Σsin², Σcos², Σsin·cos per axis — one row load and two FMAs per point —
/// and one vector sin/cos of θ (mean absolute error: a row load and a few operations per point). <see cref="Evaluate"/> takes any t
/// and keeps the SinCos path. Grids above <see cref="MaxTabulatedGrid"/> points are not
/// tabulated (memory) and step by the SinCos path too.
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

    /// <summary>Largest grid (points) whose sin/cos table is kept: 64 Ki points = 2 MiB of rows.</summary>
    public const int MaxTabulatedGrid = 1 << 16;

    private const int RowWidth = 8; // floats per table row: S_x, C_x, S_y, C_y, S_z, C_z, 0, 0

    private readonly float _tStep;
    private readonly int _maxIndex;
    private readonly float[] _batch;    // t of the last step's minibatch, padded with zeros
    private readonly float[] _tScratch; // copy of the caller's t for Evaluate, padded
    private readonly int[] _n = new int[ParameterCount];
    private readonly float[] _target = new float[ParameterCount];
    private readonly float[] _theta = new float[ParameterCount];
    private readonly float[] _gradient = new float[ParameterCount];
    private readonly float[] _scratch = new float[ParameterCount];

    // The table path (null when the grid is larger than MaxTabulatedGrid).
    private readonly double[]? _gridSin, _gridCos; // sin and cos of each grid t, for the per-target table
    private readonly float[]? _rows;               // one row per grid index, see RowWidth
    private readonly int[] _indices;               // grid indices of the last step's minibatch
    private readonly double[] _sinTarget = new double[ParameterCount], _cosTarget = new double[ParameterCount];
    private readonly uint _indexLimit;             // rejection bound of the index draw (as Rng.NextInt)
    private readonly ulong _indexMagic;            // ⌈2⁶⁴ / (GridMax + 1)⌉: r mod (GridMax + 1) without a divide

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
        _indices = new int[batchSize];
        uint range = (uint)_maxIndex + 1;
        _indexLimit = uint.MaxValue - uint.MaxValue % range;
        _indexMagic = ulong.MaxValue / range + 1;
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

    /// <summary>Whether <see cref="Step"/> evaluates from the per-target sin/cos table.</summary>
    public bool Tabulated => _rows != null;

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

    /// <summary>Grid indices i of the last step's minibatch (t = i·tStep; zeros before the first step).</summary>
    public ReadOnlySpan<int> BatchIndices => _indices;

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
        Tabulate();
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
        Tabulate();
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
        Span<float> g = _gradient;
        // Draw first, then evaluate: Rng.NextUInt is a call here, and a call inside the
        // evaluation loop would spill its vector accumulators to memory.
        Rng local = rng;
        for (int i = 0; i < BatchSize; i++)
        {
            int index = DrawIndex(ref local);
            _indices[i] = index;
            _batch[i] = index * _tStep;
        }
        rng = local;
        float loss = EvaluateInternal(g);
        if (!Sgd.TryStep(_theta, g, loss, LearningRate, MaxTheta, _scratch))
        {
            for (int j = 0; j < ParameterCount; j++) _theta[j] = rng.NextFloat();
            Resets++;
            loss = EvaluateInternal(g);
            if (!float.IsFinite(loss) || !Sgd.AllFinite(g))
            {
                loss = float.MaxValue; // unreachable with finite θ (|r| ≤ 2); stay NaN-free regardless
                g.Clear();
            }
        }
        Steps++;
        LastLoss = loss;
        return loss;
    }

    /// <summary>
    /// rng.NextInt(0, GridMax), draw for draw, with the modulo by a precomputed multiply
    /// (Lemire's fastmod, exact for every 32-bit r): two hardware divides per point cost more
    /// than the whole evaluation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int DrawIndex(ref Rng rng)
    {
        uint r;
        do { r = rng.NextUInt(); } while (r >= _indexLimit);
        return (int)Math.BigMul(_indexMagic * r, (ulong)_maxIndex + 1, out _);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref float table, int index, ref Vector256<float> squares, ref Vector256<float> crosses)
    {
        var v = Vector256.LoadUnsafe(ref table, (nuint)index * RowWidth);
        squares = Vector256.FusedMultiplyAdd(v, v, squares);
        crosses = Vector256.FusedMultiplyAdd(v, SwapPairs(v), crosses);
    }

    private float EvaluateInternal(Span<float> g) =>
        _rows != null
            ? (Vector256.IsHardwareAccelerated ? EvaluateRowsVector(_indices, BatchSize, g) : EvaluateRowsScalar(_indices, BatchSize, g))
            : (Vector256.IsHardwareAccelerated ? EvaluateVector(_batch, BatchSize, g) : EvaluateScalarCore(_batch, BatchSize, g));

    /// <summary>
    /// Loss and gradient at the grid points t = i·tStep from the table (what <see cref="Step"/>
    /// evaluates), vectorised; no update. For tests and tools: needs <see cref="Tabulated"/>.
    /// </summary>
    public float EvaluateGrid(ReadOnlySpan<int> indices, Span<float> gradient) =>
        EvaluateRows(indices, gradient, vector: Vector256.IsHardwareAccelerated);

    /// <summary>Scalar twin of <see cref="EvaluateGrid"/>.</summary>
    public float EvaluateGridScalar(ReadOnlySpan<int> indices, Span<float> gradient) =>
        EvaluateRows(indices, gradient, vector: false);

    private float EvaluateRows(ReadOnlySpan<int> indices, Span<float> gradient, bool vector)
    {
        if (_rows == null) throw new InvalidOperationException($"the grid has more than {MaxTabulatedGrid} points and is not tabulated");
        if (gradient.Length < ParameterCount) throw new ArgumentException("gradient needs 3 slots", nameof(gradient));
        if (indices.Length < 1) throw new ArgumentException("indices needs at least one value", nameof(indices));
        foreach (int i in indices)
            if ((uint)i > (uint)_maxIndex) throw new ArgumentOutOfRangeException(nameof(indices), $"grid indices are 0..{_maxIndex}");
        return vector ? EvaluateRowsVector(indices, indices.Length, gradient) : EvaluateRowsScalar(indices, indices.Length, gradient);
    }

    /// <summary>
    /// The per-target table: row i holds sin and cos of n·tᵢ for the three axes, from the grid's
    /// sin/cos tᵢ by the double Chebyshev recurrence (n ≤ a few dozen steps, error ~1e-15), then
    /// rounded to float. Allocation-free; about 20 µs for the default 1001 points (bench micro).
    /// </summary>
    private void Tabulate()
    {
        for (int j = 0; j < ParameterCount; j++) (_sinTarget[j], _cosTarget[j]) = Math.SinCos(_target[j]);
        if (_rows == null) return;
        double[] sinT = _gridSin!, cosT = _gridCos!;
        float[] rows = _rows;
        for (int j = 0; j < ParameterCount; j++)
        {
            int n = _n[j];
            for (int i = 0; i <= _maxIndex; i++)
            {
                // sin((k+1)t) = 2cos t·sin kt − sin((k−1)t), and the same for cos.
                double c = cosT[i], c2 = 2 * c;
                double sPrev = 0, s = sinT[i], cPrev = 1, ck = c;
                for (int k = 1; k < n; k++)
                {
                    double sNext = c2 * s - sPrev, cNext = c2 * ck - cPrev;
                    sPrev = s; s = sNext;
                    cPrev = ck; ck = cNext;
                }
                rows[i * RowWidth + 2 * j] = (float)s;
                rows[i * RowWidth + 2 * j + 1] = (float)ck;
            }
        }
    }

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

    /// <summary>
    /// Per-axis row constants: R = ⟨−(sin θ − sin a), cos θ − cos a⟩ and D = ⟨−cos θ, −sin θ⟩ per
    /// axis pair, so with a row v: r = v₀R₀ + v₁R₁ and ∂model/∂θ = v₀D₀ + v₁D₁ (the pad lanes are 0).
    /// </summary>
    private void RowCoefficients(Span<float> r, Span<float> d)
    {
        // sin and cos of the three θ in one vector call (≈ 40 ns; three Math.SinCos cost 60–120 ns
        // here), sin and cos of the target cached per target; differences in double as above.
        (Vector256<double> sinTheta, Vector256<double> cosTheta) =
            Vector256.SinCos(Vector256.Create(_theta[0], _theta[1], _theta[2], 0.0));
        for (int j = 0; j < ParameterCount; j++)
        {
            double st = sinTheta.GetElement(j), ct = cosTheta.GetElement(j);
            r[2 * j] = -(float)(st - _sinTarget[j]);
            r[2 * j + 1] = (float)(ct - _cosTarget[j]);
            d[2 * j] = -(float)ct;
            d[2 * j + 1] = -(float)st;
        }
    }

    private float EvaluateRowsScalar(ReadOnlySpan<int> indices, int count, Span<float> gradient)
    {
        bool mae = Loss == LossKind.MeanAbsolute;
        if (!mae)
        {
            Span<float> sums = stackalloc float[2 * RowWidth];
            float[] table = _rows!;
            for (int lane = 0; lane < RowWidth; lane++)
            {
                float squares = 0f, crosses = 0f;
                for (int i = 0; i < count; i++)
                {
                    int at = indices[i] * RowWidth;
                    float v = table[at + lane];
                    squares = MathF.FusedMultiplyAdd(v, v, squares);
                    crosses = MathF.FusedMultiplyAdd(v, table[at + (lane ^ 1)], crosses);
                }
                sums[lane] = squares;
                sums[RowWidth + lane] = crosses;
            }
            return HalfMseFromSums(sums[..RowWidth], sums[RowWidth..], count, gradient);
        }
        Span<float> rc = stackalloc float[RowWidth];
        Span<float> dc = stackalloc float[RowWidth];
        rc.Clear(); dc.Clear();
        RowCoefficients(rc, dc);
        float[] rows = _rows!;
        float l = 0f;
        for (int j = 0; j < ParameterCount; j++)
        {
            float gj = 0f;
            for (int i = 0; i < count; i++)
            {
                int at = indices[i] * RowWidth + 2 * j;
                float s = rows[at], c = rows[at + 1];
                // The vector path's products and sums, in the same order per element.
                float r = s * rc[2 * j] + c * rc[2 * j + 1];
                float dm = s * dc[2 * j] + c * dc[2 * j + 1];
                float w = r > 0f ? 1f : r < 0f ? -1f : 0f;
                l += MathF.Abs(r);
                gj += w * dm;
            }
            gradient[j] = gj;
        }
        return Finish(count, mae: true, l, gradient);
    }

    /// <summary>
    /// One row per point: both lanes of an axis pair end up holding that axis's r and ∂model/∂θ
    /// (a product, then a sum with the pair-swapped product), so lanes 0, 2, 4 carry the sums.
    /// Four accumulators keep the loop-carried adds from bounding the loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private float EvaluateRowsVector(ReadOnlySpan<int> indices, int count, Span<float> gradient)
    {
        bool mae = Loss == LossKind.MeanAbsolute;
        if (!mae)
        {
            ref float table = ref MemoryMarshal.GetArrayDataReference(_rows!);
            ref int first = ref MemoryMarshal.GetReference(indices);
            Vector256<float> sq0 = default, sq1 = default, sq2 = default, sq3 = default;
            Vector256<float> cr0 = default, cr1 = default, cr2 = default, cr3 = default;
            int k = 0;
            for (; k + 4 <= count; k += 4)
            {
                Accumulate(ref table, Unsafe.Add(ref first, k), ref sq0, ref cr0);
                Accumulate(ref table, Unsafe.Add(ref first, k + 1), ref sq1, ref cr1);
                Accumulate(ref table, Unsafe.Add(ref first, k + 2), ref sq2, ref cr2);
                Accumulate(ref table, Unsafe.Add(ref first, k + 3), ref sq3, ref cr3);
            }
            for (; k < count; k++) Accumulate(ref table, Unsafe.Add(ref first, k), ref sq0, ref cr0);
            return HalfMseFromSums((sq0 + sq1) + (sq2 + sq3), (cr0 + cr1) + (cr2 + cr3), count, gradient);
        }
        Span<float> coefficients = stackalloc float[2 * RowWidth];
        coefficients.Clear();
        RowCoefficients(coefficients[..RowWidth], coefficients[RowWidth..]);
        var rc = Vector256.Create<float>(coefficients[..RowWidth]);
        var dc = Vector256.Create<float>(coefficients[RowWidth..]);
        ref float rows = ref MemoryMarshal.GetArrayDataReference(_rows!);
        ref int index0 = ref MemoryMarshal.GetReference(indices);

        Vector256<float> l0 = default, l1 = default, l2 = default, l3 = default;
        Vector256<float> g0 = default, g1 = default, g2 = default, g3 = default;
        int i = 0;
        for (; i + 4 <= count; i += 4)
        {
            l0 += RowMae(ref rows, Unsafe.Add(ref index0, i), rc, dc, out var w0);
            l1 += RowMae(ref rows, Unsafe.Add(ref index0, i + 1), rc, dc, out var w1);
            l2 += RowMae(ref rows, Unsafe.Add(ref index0, i + 2), rc, dc, out var w2);
            l3 += RowMae(ref rows, Unsafe.Add(ref index0, i + 3), rc, dc, out var w3);
            g0 += w0; g1 += w1; g2 += w2; g3 += w3;
        }
        for (; i < count; i++)
        {
            l0 += RowMae(ref rows, Unsafe.Add(ref index0, i), rc, dc, out var w0);
            g0 += w0;
        }
        var l = (l0 + l1) + (l2 + l3);
        var g = (g0 + g1) + (g2 + g3);
        gradient[0] = g.GetElement(0);
        gradient[1] = g.GetElement(2);
        gradient[2] = g.GetElement(4);
        return Finish(count, mae: true, l.GetElement(0) + l.GetElement(2) + l.GetElement(4), gradient);
    }

    /// <summary>Mean-absolute terms of one row: returns |r|, gives sign(r)·∂model/∂θ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> RowMae(ref float rows, int index, Vector256<float> rc, Vector256<float> dc,
        out Vector256<float> gradientTerm)
    {
        var v = Vector256.LoadUnsafe(ref rows, (nuint)index * RowWidth);
        var p = v * rc;
        var q = v * dc;
        var r = p + SwapPairs(p);
        var one = Vector256<float>.One;
        var zero = Vector256<float>.Zero;
        var w = (Vector256.GreaterThan(r, zero) & one) - (Vector256.LessThan(r, zero) & one);
        gradientTerm = w * (q + SwapPairs(q));
        return Vector256.Abs(r);
    }

    /// <summary>
    /// Half MSE from the minibatch's sums per axis — Σsin², Σcos² (row lanes 2j, 2j+1 of the
    /// squares) and Σsin·cos (lane 2j of the crosses): with dC = cos θ − cos a, dS = sin θ − sin a,
    /// Σr² = dC²·Σc² + dS²·Σs² − 2·dC·dS·Σsc and Σr·∂model/∂θ = −(dC·sin θ·Σc² − dS·cos θ·Σs²
    /// + (dC·cos θ − dS·sin θ)·Σsc). Both are positive semi-definite forms of (dC, dS) on a
    /// well-conditioned 2×2 matrix of sums, so nothing large cancels as θ → a; the combination
    /// runs in double. A step then needs one row load and two FMAs per point.
    /// </summary>
    private float HalfMseFromSums(Vector256<float> squares, Vector256<float> crosses, int count, Span<float> gradient)
    {
        Span<float> sums = stackalloc float[2 * RowWidth];
        squares.CopyTo(sums);
        crosses.CopyTo(sums[RowWidth..]);
        return HalfMseFromSums(sums[..RowWidth], sums[RowWidth..], count, gradient);
    }

    private float HalfMseFromSums(ReadOnlySpan<float> squares, ReadOnlySpan<float> crosses, int count, Span<float> gradient)
    {
        (Vector256<double> sinTheta, Vector256<double> cosTheta) =
            Vector256.SinCos(Vector256.Create(_theta[0], _theta[1], _theta[2], 0.0));
        double l = 0;
        double inv = 1.0 / (count * ParameterCount);
        for (int j = 0; j < ParameterCount; j++)
        {
            double st = sinTheta.GetElement(j), ct = cosTheta.GetElement(j);
            double dC = ct - _cosTarget[j], dS = st - _sinTarget[j];
            double ss = squares[2 * j], cc = squares[2 * j + 1], sc = crosses[2 * j];
            l += dC * dC * cc + dS * dS * ss - 2 * dC * dS * sc;
            gradient[j] = (float)(-(dC * st * cc - dS * ct * ss + (dC * ct - dS * st) * sc) * inv);
        }
        return (float)(0.5 * Math.Max(0, l) * inv);
    }

    /// <summary>⟨v₁, v₀, v₃, v₂, …⟩: one in-lane permute.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> SwapPairs(Vector256<float> v) =>
        Avx.IsSupported ? Avx.Permute(v, 0b10_11_00_01) : Vector256.Shuffle(v, Vector256.Create(1, 0, 3, 2, 5, 4, 7, 6));

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
}
