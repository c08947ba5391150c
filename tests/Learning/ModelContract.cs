using Losses.Engine.Core;
using Losses.Engine.Learning;

namespace Losses.Tests.Learning;

/// <summary>
/// What every model promises, run against each one: a subclass per model says how to make it and
/// gives an independent double-precision reference of its loss. A new model passes these by adding
/// one subclass.
/// </summary>
public abstract class ModelContract<TModel> where TModel : Model
{
    /// <summary>A model whose data has <paramref name="size"/> elements (points, or a minibatch), before any target.</summary>
    protected abstract TModel Make(int size, LossKind kind, float learningRate);

    protected abstract float DefaultLearningRate { get; }

    /// <summary>The piece's data size for this model.</summary>
    protected abstract int DefaultSize { get; }

    /// <summary>At the default learning rate the loss over all data falls 100× within this many steps (seeds 1–20).</summary>
    protected abstract int StepsToFall100x { get; }

    /// <summary>
    /// Loss over the model's current batch at <paramref name="theta"/>, in double; optionally the
    /// gradient and, per parameter, Σ|w·∂model/∂θ|/count (a cancellation-free scale for tolerances).
    /// </summary>
    protected abstract double BatchLoss(TModel m, LossKind kind, double[] theta, double[]? gradient = null, double[]? scale = null);

    /// <summary>
    /// Where a step at <paramref name="theta"/> goes before the learning rate, from this model's definition of
    /// its descent, in double and without the model's code; <paramref name="gradient"/> is the reference
    /// gradient of the step's batch there. Plain gradient descent unless the model says otherwise.
    /// </summary>
    protected virtual double[] ReferenceDirection(TModel m, LossKind kind, double[] theta, double[] gradient) => gradient;

    /// <summary>Half MSE over all of the problem's data (or a fixed sample of it) at the model's θ, in double.</summary>
    protected abstract double FullLoss(TModel m);

    private TModel MakeWithTarget(int size, LossKind kind, ulong seed, float? learningRate = null)
    {
        TModel m = Make(size, kind, learningRate ?? DefaultLearningRate);
        var rng = new Rng(seed);
        m.NewTarget(ref rng);
        m.DrawBatch(ref rng);
        return m;
    }

    protected static double[] ToDouble(ReadOnlySpan<float> v)
    {
        var d = new double[v.Length];
        for (int i = 0; i < v.Length; i++) d[i] = v[i];
        return d;
    }

    [Theory]
    [InlineData(LossKind.HalfMse, 1UL)]
    [InlineData(LossKind.HalfMse, 2UL)]
    [InlineData(LossKind.HalfMse, 3UL)]
    [InlineData(LossKind.MeanAbsolute, 1UL)]
    [InlineData(LossKind.MeanAbsolute, 2UL)]
    [InlineData(LossKind.MeanAbsolute, 3UL)]
    public void Gradient_equals_central_differences_of_the_reference_loss(LossKind kind, ulong seed)
    {
        TModel m = MakeWithTarget(DefaultSize, kind, seed);
        int p = m.ParameterCount;
        double[] theta = ToDouble(m.Theta);
        var simd = new float[p];
        var scalar = new float[p];
        float loss = m.Evaluate(simd);
        m.EvaluateScalar(scalar);
        double reference = BatchLoss(m, kind, theta);
        Assert.True(Math.Abs(loss - reference) <= 1e-5 * reference, $"loss {loss} vs {reference}");
        const double h = 1e-6; // MAE kinks (r = 0) lie far wider apart than h for these seeds, else this fails loudly
        for (int j = 0; j < p; j++)
        {
            double[] up = (double[])theta.Clone(), down = (double[])theta.Clone();
            up[j] += h;
            down[j] -= h;
            double fd = (BatchLoss(m, kind, up) - BatchLoss(m, kind, down)) / (2 * h);
            Assert.True(Math.Abs(simd[j] - fd) <= 1e-4 * Math.Max(1e-2, Math.Abs(fd)), $"θ{j}: simd {simd[j]} vs fd {fd}");
            Assert.True(Math.Abs(scalar[j] - fd) <= 1e-4 * Math.Max(1e-2, Math.Abs(fd)), $"θ{j}: scalar {scalar[j]} vs fd {fd}");
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(13)]
    [InlineData(17)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(99)]
    [InlineData(101)]
    public void Simd_equals_the_scalar_twin_and_the_reference_at_odd_lengths(int size)
    {
        foreach (LossKind kind in new[] { LossKind.HalfMse, LossKind.MeanAbsolute })
            for (ulong seed = 10; seed < 15; seed++)
            {
                TModel m = MakeWithTarget(size, kind, seed);
                int p = m.ParameterCount;
                var simd = new float[p];
                var scalar = new float[p];
                float ls = m.Evaluate(simd);
                float lc = m.EvaluateScalar(scalar);
                var refG = new double[p];
                var scale = new double[p];
                double lr = BatchLoss(m, kind, ToDouble(m.Theta), refG, scale);
                // Loss terms are all ≥ 0: plainly relative. Gradient terms can cancel: relative to Σ|terms|/n.
                Assert.True(Math.Abs(ls - lc) <= 1e-5 * Math.Abs(lc), $"{kind} n={size}: loss simd {ls} scalar {lc}");
                Assert.True(Math.Abs(ls - lr) <= 1e-5 * lr, $"{kind} n={size}: loss simd {ls} ref {lr}");
                for (int j = 0; j < p; j++)
                {
                    Assert.True(Math.Abs(simd[j] - scalar[j]) <= 1e-5 * Math.Max(Math.Abs(scalar[j]), scale[j]),
                        $"{kind} n={size} θ{j}: simd {simd[j]} scalar {scalar[j]}");
                    Assert.True(Math.Abs(simd[j] - refG[j]) <= 1e-5 * Math.Max(Math.Abs(refG[j]), scale[j]),
                        $"{kind} n={size} θ{j}: simd {simd[j]} ref {refG[j]}");
                }
            }
    }

    [Theory]
    [InlineData(LossKind.HalfMse)]
    [InlineData(LossKind.MeanAbsolute)]
    public void A_step_is_theta_minus_lr_times_the_direction_of_the_gradient_on_the_batch_DrawBatch_draws(LossKind kind)
    {
        TModel stepped = MakeWithTarget(DefaultSize, kind, 5);
        TModel twin = MakeWithTarget(DefaultSize, kind, 5);
        var rng = new Rng(6);
        int p = stepped.ParameterCount;
        for (int s = 0; s < 50; s++)
        {
            Rng before = rng;
            double[] theta = ToDouble(stepped.Theta);
            float loss = stepped.Step(ref rng);

            Rng replay = before;
            twin.DrawBatch(ref replay); // the twin holds the step's batch; its own θ is not used
            Rng a = rng, b = replay;
            Assert.Equal(a.NextUInt(), b.NextUInt()); // the step drew exactly the batch
            var g = new double[p];
            var scale = new double[p];
            double reference = BatchLoss(twin, kind, theta, g, scale);
            // A float residual is good to ~1e-7 of the values it subtracts (about 1 here), so the loss is good
            // to that times the mean |r|: √(2L) for half MSE, 1 for mean absolute (late steps' losses are tiny).
            double floor = kind == LossKind.HalfMse ? Math.Sqrt(2 * reference) : 1;
            Assert.True(Math.Abs(loss - reference) <= 1e-5 * reference + 1e-6 * floor, $"step {s}: loss {loss} vs {reference}");
            double[] direction = ReferenceDirection(twin, kind, theta, g);
            double reach = 0;
            for (int j = 0; j < p; j++) reach = Math.Max(reach, Math.Abs(DefaultLearningRate * direction[j]));
            for (int j = 0; j < p; j++)
            {
                double expected = theta[j] - DefaultLearningRate * direction[j];
                Assert.True(Math.Abs(stepped.Theta[j] - expected) <= 1e-6 * Math.Abs(expected) + 1e-5 * reach,
                    $"step {s} θ{j}: {stepped.Theta[j]} vs {expected} (θ {theta[j]}, lr·direction {DefaultLearningRate * direction[j]})");
            }
            Assert.Equal(loss, stepped.LastLoss);
            Assert.Equal(s + 1, stepped.Steps);
        }
        Assert.Equal(0, stepped.Resets);
    }

    /// <summary>The model learns: over seeds 1–20 at the default rate the loss over all data falls 100× (half MSE, no resets).</summary>
    [Fact]
    public void Training_at_the_default_rate_makes_the_loss_fall_100x_seeds_1_to_20()
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            TModel m = MakeWithTarget(DefaultSize, LossKind.HalfMse, seed);
            var rng = new Rng(seed + 1000);
            double l0 = FullLoss(m), l = l0;
            int steps = 0;
            while (steps < StepsToFall100x && l > l0 / 100)
            {
                m.Step(ref rng);
                steps++;
                l = FullLoss(m);
            }
            Assert.True(l <= l0 / 100, $"seed {seed}: {l0} → {l} after {steps} steps");
            Assert.True(m.LastLoss <= l0 / 20, $"seed {seed}: batch loss {m.LastLoss} vs initial {l0}");
            Assert.Equal(0, m.Resets);
        }
    }

    [Theory]
    [InlineData(LossKind.HalfMse)]
    [InlineData(LossKind.MeanAbsolute)]
    public void A_diverging_model_is_reset_and_never_returns_a_non_finite_loss(LossKind kind)
    {
        TModel m = MakeWithTarget(DefaultSize, kind, 7, learningRate: 1e6f);
        var rng = new Rng(8);
        for (int i = 0; i < 1000; i++)
        {
            float l = m.Step(ref rng);
            Assert.True(float.IsFinite(l), $"step {i}: {l}");
            Assert.Equal(l, m.LastLoss);
            foreach (float t in m.Theta) Assert.True(float.IsFinite(t) && Math.Abs(t) <= Model.MaxTheta);
            foreach (float g in m.Gradient) Assert.True(float.IsFinite(g));
        }
        Assert.True(m.Resets > 0);
        Assert.Equal(1000, m.Steps);
    }

    [Fact]
    public void A_NaN_learning_rate_resets_every_step_instead_of_poisoning_theta()
    {
        TModel m = MakeWithTarget(DefaultSize, LossKind.HalfMse, 7, learningRate: float.NaN);
        var rng = new Rng(8);
        for (int i = 0; i < 10; i++) Assert.True(float.IsFinite(m.Step(ref rng)));
        Assert.Equal(10, m.Resets);
        foreach (float t in m.Theta) Assert.True(float.IsFinite(t));
    }

    [Fact]
    public void A_new_target_counts_and_starts_afresh()
    {
        TModel m = MakeWithTarget(DefaultSize, LossKind.HalfMse, 5);
        var rng = new Rng(6);
        m.Step(ref rng);
        m.Step(ref rng);
        Assert.Equal(2, m.Steps);
        Assert.Contains(m.Gradient.ToArray(), g => g != 0f);
        m.NewTarget(ref rng);
        Assert.Equal(2, m.Targets);
        Assert.Equal(0, m.Steps);
        Assert.Equal(0f, m.LastLoss);
        Assert.All(m.Gradient.ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void Steps_new_targets_and_resets_allocate_nothing()
    {
        var g = new float[MakeWithTarget(DefaultSize, LossKind.HalfMse, 3).ParameterCount];
        // A first model takes every path once (as the engine's warm-up does): the first use of a loss
        // kind or of the divergence path may initialise statics, which depends on which test ran first.
        Exercise(MakeWithTarget(DefaultSize, LossKind.HalfMse, 3), new Rng(4), g);
        TModel m = MakeWithTarget(DefaultSize, LossKind.HalfMse, 3);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Exercise(m, new Rng(4), g);
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(before, after);
        Assert.True(m.Resets > 0);
    }

    private static void Exercise(TModel m, Rng rng, float[] g)
    {
        m.Step(ref rng);
        m.Evaluate(g);
        m.EvaluateScalar(g);
        for (int i = 0; i < 10_000; i++)
        {
            if (i == 5_000) m.Loss = LossKind.MeanAbsolute;
            if (i % 1000 == 999) m.NewTarget(ref rng);
            m.Step(ref rng);
        }
        m.Evaluate(g);
        m.EvaluateScalar(g);
        m.LearningRate = 1e6f; // the divergence path too
        for (int i = 0; i < 100; i++) m.Step(ref rng);
    }

    [Fact]
    public void The_same_seed_gives_the_same_losses_and_another_seed_other_ones()
    {
        float[] Run(ulong seed)
        {
            TModel m = Make(DefaultSize, LossKind.HalfMse, DefaultLearningRate);
            var rng = new Rng(seed);
            var losses = new float[300];
            for (int i = 0; i < losses.Length; i++)
            {
                if (i % 100 == 0) m.NewTarget(ref rng);
                if (i == 150) m.Loss = LossKind.MeanAbsolute;
                losses[i] = m.Step(ref rng);
            }
            return losses;
        }
        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
    }
}
