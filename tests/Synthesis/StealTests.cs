using Losses.Engine.Config;
using Losses.Engine.Midi;
using Losses.Engine.Synthesis;
using Xunit.Abstractions;
using static Losses.Tests.Audio.Rendering;

namespace Losses.Tests.Synthesis;

/// <summary>More notes than voices under the sustain pedal: stolen voices fade out instead of clicking.</summary>
public class StealTests(ITestOutputHelper output)
{
    private const int Rate = 48000;

    /// <summary>Sustain down, then <paramref name="notes"/> different notes 40 ms apart from note 40 up (released at once, held by the pedal).</summary>
    private static List<TimedMidiEvent> Flood(int notes, out List<long> onsets)
    {
        var events = new List<TimedMidiEvent> { Cc(0.05, 64, 127) };
        onsets = [];
        for (int i = 0; i < notes; i++)
        {
            double t = 0.1 + 0.04 * i;
            int note = 40 + i;
            events.Add(On(t, note, velocity: 30));
            events.Add(Off(t + 0.02, note));
            onsets.Add((long)Math.Round(t * Rate));
        }
        return events;
    }

    /// <summary>The 16–24 kHz content: an 8th-order Butterworth high-pass at 16 kHz (four RBJ biquads), in double.</summary>
    private static double[] HighPass(float[] x)
    {
        var y = x.Select(v => (double)v).ToArray();
        for (int k = 1; k <= 4; k++)
        {
            double q = 1 / (2 * Math.Cos((2 * k - 1) * Math.PI / 16));
            double w0 = 2 * Math.PI * 16000 / Rate, alpha = Math.Sin(w0) / (2 * q), cos = Math.Cos(w0);
            double a0 = 1 + alpha;
            double b0 = (1 + cos) / 2 / a0, b1 = -(1 + cos) / a0, b2 = b0, a1 = -2 * cos / a0, a2 = (1 - alpha) / a0;
            double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
            for (int i = 0; i < y.Length; i++)
            {
                double x0 = y[i];
                double y0 = b0 * x0 + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
                x2 = x1; x1 = x0; y2 = y1; y1 = y0;
                y[i] = y0;
            }
        }
        return y;
    }

    private static double PeakDbfs(double[] band, long from, long to) =>
        20 * Math.Log10(Math.Max(1e-12, band.AsSpan((int)from, (int)(to - from)).ToArray().Max(Math.Abs)));

    [Fact]
    public void Thirty_two_steals_put_nothing_above_minus_90_dBFS_into_16_to_24_kHz()
    {
        // 16 voices and 48 notes: every note from the 17th on steals one.
        List<TimedMidiEvent> events = Flood(48, out List<long> onsets);
        long total = onsets[^1] + Rate;
        var config = EngineConfig.Default with { Voice = new VoiceSettings { Polyphony = 16 } };
        Result r = Run(events, total, config: config);
        Assert.Equal(32, r.Processor.Voices.Steals);
        Assert.True(r.Left.Max(MathF.Abs) < EngineConfig.Default.Master.LimiterThreshold, "the limiter stays out of it");

        // The same notes with room for all of them: what the band holds without any steal.
        var roomy = EngineConfig.Default with { Voice = new VoiceSettings { Polyphony = 64 } };
        Result calm = Run(events, total, config: roomy);
        Assert.Equal(0, calm.Processor.Voices.Steals);

        double worst = double.MinValue;
        foreach (float[] channel in new[] { r.Left, r.Right })
        {
            double[] band = HighPass(channel);
            for (int i = 16; i < onsets.Count; i++)
            {
                double db = PeakDbfs(band, onsets[i] - Rate / 1000, onsets[i] + Rate * 15 / 1000);
                worst = Math.Max(worst, db);
                Assert.True(db < -90, $"steal {i - 15} at {onsets[i] / (double)Rate:0.000} s: {db:0.0} dBFS in 16–24 kHz");
            }
        }
        double quiet = PeakDbfs(HighPass(calm.Left), Rate / 100, total);
        output.WriteLine($"16–24 kHz: loudest steal {worst:0.0} dBFS, without steals {quiet:0.0} dBFS");
        Assert.True(quiet < -90, $"without steals the band peaks at {quiet:0.0} dBFS");
    }
}
