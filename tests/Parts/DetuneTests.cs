using Losses.Engine.Config;
using Losses.Engine.Core;
using Losses.Engine.Midi;
using static Losses.Tests.Audio.Rendering;

namespace Losses.Tests.Parts;

/// <summary>
/// The loss of each step is heard: overtone k ≥ 2 of a held note sounds at k·f₀·(1+d), d falling in
/// proportion to the loss from 50 cents at the target's first loss.
/// </summary>
public class DetuneTests
{
    private const int Rate = 48000;
    private const double A4 = 440.0;

    /// <summary>The default start: 50 cents.</summary>
    private static readonly double StartRatio = Math.Pow(2, 50 / 1200.0);

    /// <summary>Cents of press i (0-based) of a phrase by Newton steps at lr 0.17: the loss falls by 0.83² a press.</summary>
    private static double CentsOfPress(int i) => 50 * Math.Pow(0.83 * 0.83, i);

    /// <summary>
    /// Newton steps on all the points: each press's loss is then known in advance, so the mapping from
    /// loss to detune is what these tests pin (the default descent's paces differ by target: ConvergenceTests).
    /// </summary>
    private static readonly EngineConfig Newton = EngineConfig.Default with
    {
        Learning = EngineConfig.Default.Learning with { Cubic = new CubicSettings { Descent = CubicDescent.Newton } },
    };

    [Fact]
    public void A_first_press_sounds_its_partials_50_cents_sharp_and_the_fundamental_in_tune()
    {
        // Part 1: a bass note makes a cubic target, then A4 is the first gradient step and is held.
        TimedMidiEvent[] events = [On(0.1, 36), On(0.5, 69), Off(2.5, 69), Off(2.6, 36)];
        Result r = Run(events, 2 * Rate, config: Newton);
        ReadOnlySpan<float> window = r.Left.AsSpan((int)(0.8 * Rate), Rate);
        double fundamental = PeakFrequency(window, Rate, A4, 5);
        Assert.InRange(fundamental, A4 - 0.5, A4 + 0.5);
        for (int k = 2; k <= 5; k++)
        {
            double expected = k * A4 * StartRatio;
            double measured = PeakFrequency(window, Rate, expected, 5);
            Assert.True(Math.Abs(measured - expected) < 0.5, $"partial {k}: measured {measured:0.000} Hz, expected {expected:0.000} Hz");
        }
    }

    [Fact]
    public void Repeated_presses_bring_the_overtones_in_tune_press_by_press()
    {
        const int presses = 10;
        var events = new List<TimedMidiEvent> { On(0.1, 36), Off(0.4, 36) };
        for (int i = 0; i < presses; i++)
        {
            events.Add(On(0.5 + i, 69));
            events.Add(Off(1.4 + i, 69));
        }
        Result r = Run(events, (long)((presses + 1) * Rate), config: Newton);
        for (int i = 0; i < presses; i++)
        {
            double expected = 2 * A4 * Math.Pow(2, CentsOfPress(i) / 1200);
            ReadOnlySpan<float> window = r.Left.AsSpan((int)((0.85 + i) * Rate), Rate / 2);
            double measured = PeakFrequency(window, Rate, expected, 5);
            Assert.True(Math.Abs(measured - expected) < 0.5, $"press {i}: measured {measured:0.000} Hz, expected {expected:0.000} Hz ({CentsOfPress(i):0.0} cents)");
        }
    }

    /// <summary>
    /// Part 2: a chord held for two seconds steps the knot at the chord and then 60 times a second, and
    /// each step's detune is 50 cents scaled by the ratio of that step's loss to the first step's — the
    /// losses read from the knot model itself (its contract pins them to a double reference), the
    /// scaling done here, so nothing of the piece's own bookkeeping of the first loss is trusted.
    /// </summary>
    [Fact]
    public void A_held_chord_keeps_stepping_at_the_step_rate_and_its_notes_follow_the_loss()
    {
        // Part 2 (soft pedal once), a three-note chord held for two seconds.
        TimedMidiEvent[] events =
        [
            Cc(0.05, 67, 127), Cc(0.1, 67, 0),
            On(0.5, 48), On(0.5, 52), On(0.5, 55),
            Off(2.5, 48), Off(2.5, 52), Off(2.5, 55),
        ];
        var losses = new List<double>();
        var pieceDetunes = new List<double>();
        long stepsAtRelease = 0;
        float[] detunes = new float[3];
        Result r = Run(events, 4 * Rate, afterBlock: (p, end) =>
        {
            // Blocks of 64 samples and steps 800 apart: at most one step a block.
            if (p.Piece.Models[1].Steps > losses.Count)
            {
                losses.Add(p.Piece.Models[1].LastLoss);
                pieceDetunes.Add(p.Piece.Detune);
            }
            if (end <= (long)(2.5 * Rate))
            {
                stepsAtRelease = p.Piece.GradientSteps;
                for (int v = 0; v < 3; v++) detunes[v] = p.Voices.DetuneOf(v);
            }
        });
        Assert.Equal(2, r.Processor.Piece.Part);
        Assert.Equal(1, r.Processor.Piece.TargetsOf("knot"));
        // One step at the chord, then 60 per second for 2 s (one more or less at the edges).
        Assert.InRange(stepsAtRelease, 120, 122);
        Assert.Equal(stepsAtRelease, r.Processor.Piece.GradientSteps);
        Assert.Equal(stepsAtRelease, losses.Count);

        double start = StartRatio - 1;
        double[] expected = losses.Select(l => Math.Min(start * l / losses[0], 0.5)).ToArray();
        Assert.True(expected[^1] < 0.9 * start, $"the knot learned: last loss {losses[^1]} vs first {losses[0]}");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(pieceDetunes[i] - expected[i]) <= 1e-5 * expected[i],
                $"step {i}: detune {pieceDetunes[i]} vs {expected[i]} (loss {losses[i]}, first {losses[0]})");
        // The glide (10 ms) has nearly reached the latest step's detune; earlier steps' were within a few per cent of it.
        foreach (float d in detunes) Assert.InRange(d, expected[^1] * 0.9 - 1e-6, expected[^1] * 1.1 + 1e-6);
    }
}
