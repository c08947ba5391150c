using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Losses.Engine.Audio;
using Losses.Reference;
using Losses.Tests.Cli;

namespace Losses.Tests.Audio;

/// <summary>
/// The render's loudness report: the meter against the standard's known answers, then a render of
/// four-parts.mid against an independent peer (ffmpeg's ebur128 filter) and the concert bounds.
/// </summary>
public class LoudnessTests
{
    private const int Rate = 48000;

    private static (float[] Left, float[] Right) Sine(double hz, double amplitude, double seconds, double phase = 0)
    {
        int n = (int)(seconds * Rate);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float)(amplitude * Math.Sin(2 * Math.PI * hz * i / Rate + phase));
        return (x, x.ToArray());
    }

    [Fact]
    public void A_stereo_997_Hz_sine_at_minus_20_dBFS_measures_minus_20_LUFS()
    {
        // BS.1770: a 0 dBFS 997 Hz sine in one channel reads −3.01 LKFS, so one in both channels 0; at −20 dBFS, −20.
        var meter = new LoudnessMeter(Rate);
        (float[] l, float[] r) = Sine(997, 0.1, 10);
        meter.Add(l, r);
        Assert.InRange(meter.IntegratedLufs!.Value, -20.05, -19.95);
    }

    [Fact]
    public void The_relative_gate_leaves_out_a_passage_20_LU_quieter()
    {
        // 10 s at −20 dBFS, 10 s at −40: the ungated mean is ≈ −23 LUFS, the relative gate at ≈ −33 drops the quiet half.
        var meter = new LoudnessMeter(Rate);
        (float[] l, float[] r) = Sine(997, 0.1, 10);
        (float[] ql, float[] qr) = Sine(997, 0.01, 10);
        meter.Add(l, r);
        meter.Add(ql, qr);
        Assert.InRange(meter.IntegratedLufs!.Value, -20.1, -19.9);
        var silent = new LoudnessMeter(Rate);
        silent.Add(new float[Rate], new float[Rate]);
        Assert.Null(silent.IntegratedLufs);
    }

    [Fact]
    public void A_full_scale_sine_at_a_quarter_of_the_rate_sampled_off_its_crests_has_a_true_peak_of_0_dBTP()
    {
        // At fs/4 with a 45° phase every sample is ±0.707 (−3.0 dBFS); the waveform between them reaches ±1.
        var meter = new LoudnessMeter(Rate);
        (float[] l, float[] r) = Sine(Rate / 4.0, 1.0, 1, Math.PI / 4);
        meter.Add(l, r);
        Assert.InRange(l.Max(), 0.7071f, 0.7072f);
        Assert.InRange(meter.TruePeakDbtp, -0.1, 0.05);
    }

    /// <summary>
    /// The block interpolator against the meter's definition worked out here one point at a time in
    /// doubles (a 32-tap Hann-windowed sinc, the 4× points between each sample and the next): the
    /// same true peak within 0.001 dB over blocks of every length, a read between two blocks included.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void The_true_peak_is_the_windowed_sinc_interpolation_worked_out_point_by_point(int seed)
    {
        var random = new Random(seed);
        int n = 20_000;
        var l = new float[n];
        var r = new float[n];
        for (int i = 0; i < n; i++)
        {
            // Loud, bright passages with crests between the samples, and a few isolated clicks.
            l[i] = (float)(0.6 * Math.Sin(i * (0.9 + 0.4 * random.NextDouble())) + 0.2 * (random.NextDouble() - 0.5));
            r[i] = (float)(0.5 * Math.Sin(i * 1.47 + 0.3) * Math.Cos(i * 0.002));
            if (random.Next(2000) == 0) r[i] = (float)(random.NextDouble() > 0.5 ? 0.95 : -0.95);
        }
        var meter = new LoudnessMeter(Rate);
        int at = 0;
        while (at < n)
        {
            int count = Math.Min(n - at, random.Next(1, 9000));
            meter.Add(l.AsSpan(at, count), r.AsSpan(at, count));
            at += count;
            if (random.Next(4) == 0) _ = meter.TruePeakDbtp; // a read between blocks changes nothing
        }
        double expected = 20 * Math.Log10(Math.Max(PointByPoint(l), PointByPoint(r)));
        Assert.Equal(expected, meter.TruePeakDbtp, 0.001);
    }

    private static double PointByPoint(float[] x)
    {
        const int half = 16, factor = 4;
        double peak = x.Max(v => Math.Abs((double)v));
        for (int j = 2 * half - 1; j < x.Length; j++) // the window x[j − 31 .. j]
            for (int p = 1; p < factor; p++)
            {
                double y = 0;
                for (int i = 0; i < 2 * half; i++)
                {
                    double t = half - 1 + (double)p / factor - i; // distance from tap i to the point, in samples
                    double sinc = Math.Abs(t) < 1e-12 ? 1 : Math.Sin(Math.PI * t) / (Math.PI * t);
                    y += x[j - (2 * half - 1) + i] * sinc * (0.5 + 0.5 * Math.Cos(Math.PI * t / half));
                }
                peak = Math.Max(peak, Math.Abs(y));
            }
        return peak;
    }

    /// <summary>
    /// The meter against its plain reading (tests/Reference/ScalarLoudnessMeter.cs), fed the same
    /// samples in blocks of random length: the same loudness and true peak to the bit, at every rate
    /// with its own oversampling. The signal is quiet, then a click, then a sine at a quarter of the
    /// rate off its crests — its samples (0.71) below the click (0.9), its points between them above
    /// it (1.0) — so a group of points wrongly passed over as unable to raise the peak would show.
    /// </summary>
    [Theory]
    [InlineData(48000, 1)]
    [InlineData(48000, 2)]
    [InlineData(44100, 3)]
    [InlineData(96000, 4)]
    [InlineData(192000, 5)]
    public void The_meter_reads_the_same_bits_as_its_scalar_reference(int rate, int seed)
    {
        var random = new Random(seed);
        int n = rate, click = rate / 3, crest = rate / 2 + random.Next(rate / 4);
        var l = new float[n];
        var r = new float[n];
        for (int i = 0; i < n; i++)
        {
            l[i] = (float)(0.1 * Math.Sin(i * (0.05 + 0.01 * random.NextDouble())) + 0.02 * (random.NextDouble() - 0.5));
            r[i] = (float)(0.08 * Math.Sin(i * 0.31 + 0.3));
            if (i >= crest) l[i] = (float)Math.Sin(Math.PI / 2 * i + Math.PI / 4); // fs/4, 45° off: ±0.707 at every sample
        }
        r[click] = 0.9f;
        var meter = new LoudnessMeter(rate);
        var reference = new ScalarLoudnessMeter(rate);
        int at = 0;
        while (at < n)
        {
            int count = Math.Min(n - at, random.Next(1, 6000));
            meter.Add(l.AsSpan(at, count), r.AsSpan(at, count));
            reference.Add(l.AsSpan(at, count), r.AsSpan(at, count));
            at += count;
        }
        Assert.Equal(reference.IntegratedLufs, meter.IntegratedLufs);
        Assert.Equal(reference.TruePeakDbtp, meter.TruePeakDbtp);
        if (rate < 192000) Assert.True(reference.TruePeakDbtp > 20 * Math.Log10(0.95), $"the crest between the samples reads {reference.TruePeakDbtp:0.00} dBTP");
    }

    [Fact]
    public void Four_parts_renders_near_minus_18_LUFS_below_minus_1_dBTP_and_the_report_agrees_with_ffmpeg()
    {
        string dir = EngineCli.TempDir();
        string wav = Path.Combine(dir, "four.wav"), json = Path.Combine(dir, "four.json");
        EngineCli.Outcome o = EngineCli.Run("render", TestFiles.FourParts, "-o", wav, "--summary-json", json);
        Assert.True(o.ExitCode == 0, o.Stderr);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(json));
        double lufs = summary.RootElement.GetProperty("loudnessLufs").GetDouble();
        double truePeak = summary.RootElement.GetProperty("truePeakDbtp").GetDouble();
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"loudness {lufs:0.0} LUFS integrated (BS.1770), true peak {truePeak:0.0} dBTP"), o.Stdout);

        (double peerLufs, double peerPeak) = Ebur128(wav);
        Assert.True(Math.Abs(lufs - peerLufs) <= 0.15, $"ours {lufs:0.00} LUFS, ffmpeg {peerLufs:0.0}");
        Assert.True(Math.Abs(truePeak - peerPeak) <= 0.3, $"ours {truePeak:0.00} dBTP, ffmpeg {peerPeak:0.0}");
        Assert.InRange(peerLufs, -19, -17);
        Assert.True(peerPeak < -1, $"true peak {peerPeak} dBTP");
    }

    /// <summary>ffmpeg's EBU R128 meter (libavfilter ebur128, true peak on): integrated loudness and true peak of a file.</summary>
    private static (double Lufs, double TruePeak) Ebur128(string wav)
    {
        var start = new ProcessStartInfo("ffmpeg", ["-nostats", "-hide_banner", "-i", wav, "-af", "ebur128=peak=true", "-f", "null", "-"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using Process ffmpeg = Process.Start(start)!;
        Task<string> stdout = ffmpeg.StandardOutput.ReadToEndAsync();
        string log = ffmpeg.StandardError.ReadToEnd();
        ffmpeg.WaitForExit();
        _ = stdout.Result;
        Assert.True(ffmpeg.ExitCode == 0, log);
        string tail = log[log.LastIndexOf("Summary:", StringComparison.Ordinal)..];
        double lufs = double.Parse(Regex.Match(tail, @"I:\s+(-?[\d.]+) LUFS").Groups[1].Value, CultureInfo.InvariantCulture);
        double peak = double.Parse(Regex.Match(tail, @"Peak:\s+(-?[\d.]+) dBFS").Groups[1].Value, CultureInfo.InvariantCulture);
        return (lufs, peak);
    }
}
