using Losses.Engine.Config;
using Losses.Engine.Midi;
using static Losses.Tests.Audio.Rendering;

namespace Losses.Tests.Piece;

/// <summary>The loss of each step is heard: overtone k ≥ 2 of a held note sounds at k·f₀·(1+m·L).</summary>
public class DetuneTests
{
    private const int Rate = 48000;
    private const double A4 = 440.0;

    private static float DetuneFor(float loss) =>
        MathF.Min(EngineConfig.Default.Detune.CubicMultiplier * loss, EngineConfig.Default.Detune.Max);

    private static float KnotDetuneFor(float loss) =>
        MathF.Min(EngineConfig.Default.Detune.KnotMultiplier * loss, EngineConfig.Default.Detune.Max);

    [Fact]
    public void A_held_notes_partials_sit_at_k_f0_times_one_plus_m_L_and_the_fundamental_is_never_detuned()
    {
        // Part 1: a bass note makes a cubic target, then A4 is one gradient step and is held.
        TimedMidiEvent[] events = [On(0.1, 36), On(0.5, 69), Off(2.5, 69), Off(2.6, 36)];
        (Result r, float loss) = RenderWithLargeFirstLoss(events);
        double d = DetuneFor(loss);
        Assert.True(d * 2 * A4 > 8, $"the test needs an audible detune (d = {d})");

        ReadOnlySpan<float> window = r.Left.AsSpan((int)(0.8 * Rate), Rate);
        double fundamental = PeakFrequency(window, Rate, A4, 5);
        Assert.InRange(fundamental, A4 - 0.5, A4 + 0.5);
        for (int k = 2; k <= 5; k++)
        {
            double expected = k * A4 * (1 + d);
            double measured = PeakFrequency(window, Rate, expected, 5);
            Assert.True(Math.Abs(measured - expected) < 0.5,
                $"partial {k}: measured {measured:0.000} Hz, expected {expected:0.000} Hz (loss {loss}, detune {d})");
        }
    }

    [Fact]
    public void The_overtones_deviation_shrinks_as_the_loss_falls_over_repeated_presses()
    {
        const int presses = 10;
        var events = new List<TimedMidiEvent> { On(0.1, 36), Off(0.4, 36) };
        for (int i = 0; i < presses; i++)
        {
            events.Add(On(0.5 + i, 69));
            events.Add(Off(1.4 + i, 69));
        }
        var losses = new List<float>();
        long seenSteps = 0;
        Result r = Run(events, (long)((presses + 1) * Rate), afterBlock: (p, _) =>
        {
            if (p.Piece.GradientSteps != seenSteps) { seenSteps = p.Piece.GradientSteps; losses.Add(p.Piece.Loss); }
        });
        Assert.Equal(presses, losses.Count);

        var deviations = new double[presses];
        for (int i = 0; i < presses; i++)
        {
            double expected = 2 * A4 * (1 + DetuneFor(losses[i]));
            ReadOnlySpan<float> window = r.Left.AsSpan((int)((0.85 + i) * Rate), Rate / 2);
            double measured = PeakFrequency(window, Rate, expected, 5);
            Assert.True(Math.Abs(measured - expected) < 0.5, $"press {i}: measured {measured:0.000} Hz, expected {expected:0.000} Hz");
            deviations[i] = measured - 2 * A4;
        }
        for (int i = 1; i < presses; i++)
            Assert.True(deviations[i] <= deviations[i - 1] + 0.5, $"deviation rose from {deviations[i - 1]:0.00} to {deviations[i]:0.00} Hz at press {i}");
        Assert.True(deviations[^1] < deviations[0] / 2, $"deviation {deviations[0]:0.00} Hz -> {deviations[^1]:0.00} Hz");
    }

    [Fact]
    public void A_held_chord_keeps_stepping_at_the_control_rate_and_its_notes_follow_the_loss()
    {
        // Part 2 (soft pedal once), a three-note chord held for two seconds.
        TimedMidiEvent[] events =
        [
            Cc(0.05, 67, 127), Cc(0.1, 67, 0),
            On(0.5, 48), On(0.5, 52), On(0.5, 55),
            Off(2.5, 48), Off(2.5, 52), Off(2.5, 55),
        ];
        long stepsAtRelease = 0;
        float[] detunes = new float[3];
        float lossAtRelease = 0;
        // Keep stepping past convergence so the count is the control rate's alone.
        var config = EngineConfig.Default with { Learning = EngineConfig.Default.Learning with { StopLoss = 0 } };
        Result r = Run(events, 4 * Rate, config: config, afterBlock: (p, end) =>
        {
            if (end <= (long)(2.5 * Rate))
            {
                stepsAtRelease = p.Piece.GradientSteps;
                lossAtRelease = p.Piece.Loss;
                for (int v = 0; v < 3; v++) detunes[v] = p.Voices.DetuneOf(v);
            }
        });
        Assert.Equal(2, r.Processor.Piece.Part);
        Assert.Equal(1, r.Processor.Piece.KnotTargets);
        // One step at the chord, then 60 per second for 2 s (one more or less at the edges, or fewer once converged).
        Assert.InRange(stepsAtRelease, 120, 122);
        Assert.Equal(stepsAtRelease, r.Processor.Piece.GradientSteps);
        // The glide (10 ms) has nearly reached the latest step's detune; earlier steps' were within a few per cent of it.
        float target = KnotDetuneFor(lossAtRelease);
        Assert.True(target > 0);
        foreach (float d in detunes) Assert.InRange(d, target * 0.9f - 1e-6f, target * 1.1f + 1e-6f);
    }

    /// <summary>Tries seeds until the first step's loss is large enough to hear; returns the render and that loss.</summary>
    private static (Result, float) RenderWithLargeFirstLoss(TimedMidiEvent[] events)
    {
        for (ulong seed = 1; seed < 50; seed++)
        {
            float loss = 0;
            Result r = Run(events, 2 * Rate, seed: seed, afterBlock: (p, end) =>
            {
                if (end > 0.5 * Rate && loss == 0) loss = p.Piece.Loss;
            });
            if (DetuneFor(loss) * 2 * A4 > 8) return (r, loss);
        }
        throw new InvalidOperationException("no seed below 50 gives an audible first loss");
    }
}
