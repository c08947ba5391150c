using Losses.Engine.Core;
using Losses.Engine.Learning;

namespace Losses.Tests.Learning;

/// <summary>The model contract for the knot, for either way of evaluating it.</summary>
public abstract class KnotContract : ModelContract<KnotModel>
{
    protected override float DefaultLearningRate => KnotModel.DefaultLearningRate;
    protected override int DefaultSize => 64;

    /// <summary>
    /// The loss is ≈ ⅙·Σ(1 − cos δ), so the decay is ≈ (1 − lr/6)² per step whatever the start: at the
    /// default lr 0.1 ≈ 137 steps (measured at lr 0.3: 45–47 for seeds 1–20; the reference lr 0.025 needs ≈ 560).
    /// </summary>
    protected override int StepsToFall100x => 160;

    /// <summary>The table holds sin/cos of n·t exact in double (then rounded): the reference forms n·t in double too.</summary>
    protected virtual bool FloatProduct => false;

    /// <summary>Grid indices of the whole problem (or a fixed sample of it) for <see cref="FullLoss"/>.</summary>
    protected virtual IEnumerable<int> FullGrid(KnotModel m) => Enumerable.Range(0, m.GridMax + 1);

    protected override double BatchLoss(KnotModel m, LossKind kind, double[] theta, double[]? gradient = null, double[]? scale = null) =>
        Reference(m, kind, theta, m.BatchIndices.ToArray(), gradient, scale);

    protected override double FullLoss(KnotModel m) => Reference(m, LossKind.HalfMse, ToDouble(m.Theta), FullGrid(m));

    private double Reference(KnotModel m, LossKind kind, double[] theta, IEnumerable<int> indices,
        double[]? gradient = null, double[]? scale = null)
    {
        double l = 0;
        if (gradient != null) Array.Clear(gradient);
        if (scale != null) Array.Clear(scale);
        int[] grid = indices.ToArray();
        int count = grid.Length * 3;
        foreach (int i in grid)
        {
            float t = i * m.TStep;
            for (int j = 0; j < 3; j++)
            {
                int n = m.Frequencies[j];
                double u = FloatProduct ? n * t : n * (double)t;
                double r = Math.Cos(u + theta[j]) - Math.Cos(u + m.Target[j]);
                double dm = -Math.Sin(u + theta[j]);
                l += kind == LossKind.HalfMse ? 0.5 * r * r : Math.Abs(r);
                double w = kind == LossKind.HalfMse ? r : Math.Sign(r);
                if (gradient != null) gradient[j] += w * dm / count;
                if (scale != null) scale[j] += Math.Abs(w * dm) / count;
            }
        }
        return l / count;
    }
}

/// <summary>The model contract for the knot on its per-target table (the piece's grid), plus what only the knot does.</summary>
public class KnotModelTests : KnotContract
{
    protected override KnotModel Make(int size, LossKind kind, float learningRate) => new(size, kind, learningRate);

    [Fact]
    public void The_piece_grid_is_tabulated()
    {
        var m = new KnotModel(64);
        Assert.True(m.Tabulated);
        Assert.Equal(1000, m.GridMax); // floor(100 / 0.1f) despite 0.1f being inexact
    }

    [Fact]
    public void A_new_target_draws_the_integers_then_the_phases_then_theta()
    {
        var m = new KnotModel(64);
        var rng = new Rng(99);
        var mirror = new Rng(99);
        m.NewTarget(ref rng);
        for (int j = 0; j < 3; j++) Assert.Equal(mirror.NextInt(1, 8), m.Frequencies[j]);
        for (int j = 0; j < 3; j++) Assert.Equal(mirror.NextFloat(), m.Target[j]);
        for (int j = 0; j < 3; j++) Assert.Equal(mirror.NextFloat(), m.Theta[j]);
        Assert.Equal(mirror.NextUInt(), rng.NextUInt());
    }

    [Fact]
    public void The_integers_are_every_one_of_1_to_the_maximum_and_nothing_else()
    {
        var m = new KnotModel(4);
        var rng = new Rng(1);
        var seen = new HashSet<int>();
        for (int i = 0; i < 500; i++)
        {
            m.NewTarget(ref rng);
            foreach (int n in m.Frequencies) { Assert.InRange(n, 1, 8); seen.Add(n); }
        }
        Assert.Equal(8, seen.Count);
        var one = new KnotModel(4, maxFrequency: 0); // clamped to 1, no throw
        one.NewTarget(ref rng);
        Assert.Equal([1, 1, 1], one.Frequencies.ToArray());
    }

    /// <summary>The minibatch draw replaces NextInt's divide by a multiply: it must give NextInt's values, draw for draw.</summary>
    [Fact]
    public void The_minibatch_is_the_grid_indices_NextInt_would_draw_and_covers_the_whole_grid()
    {
        var m = new KnotModel(64);
        var rng = new Rng(2);
        var mirror = new Rng(2);
        var seen = new HashSet<int>();
        for (int s = 0; s < 2000; s++)
        {
            m.DrawBatch(ref rng);
            foreach (int i in m.BatchIndices)
            {
                Assert.Equal(mirror.NextInt(0, 1000), i);
                seen.Add(i);
            }
        }
        Assert.Equal(1001, seen.Count);
    }
}

/// <summary>The model contract for the knot on a grid too large to tabulate: the SinCos path.</summary>
public class KnotModelSinCosTests : KnotContract
{
    protected override KnotModel Make(int size, LossKind kind, float learningRate)
    {
        var m = new KnotModel(size, kind, learningRate, tMax: 1e4f, tStep: 0.1f);
        Assert.False(m.Tabulated);
        return m;
    }

    /// <summary>This path forms n·t in float, as the reference then must.</summary>
    protected override bool FloatProduct => true;

    /// <summary>Every 25th of the 100,001 grid points: 4,001 fixed points.</summary>
    protected override IEnumerable<int> FullGrid(KnotModel m) => Enumerable.Range(0, m.GridMax / 25 + 1).Select(k => k * 25);
}
