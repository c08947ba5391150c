using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses.Engine.Audio;

/// <summary>
/// Integrated loudness and true peak of a stereo signal, as ITU-R BS.1770-4 / EBU R128 define
/// them: K-weighting (a high shelf, then a high-pass), mean square over 400 ms blocks every 100 ms,
/// an absolute gate at −70 LUFS and a relative gate 10 LU below the absolutely gated mean; true
/// peak from the signal oversampled 4× (2× from 96 kHz, as is from 192 kHz) by a windowed-sinc
/// interpolator. For offline renders: it keeps one value per 100 ms (it allocates as it goes).
/// The interpolator is a polyphase FIR run over whole blocks of samples, vectors of points with their
/// sums in registers, passing over groups of points that cannot raise the peak; a sample at a time it
/// was 59 % of a render's time.
/// </summary>
public sealed class LoudnessMeter
{
    private const int HalfTaps = 16; // interpolator taps on each side of the point

    private readonly Biquad _shelf, _highPass; // the K-weighting, the same for both channels
    private FilterState _shelfState, _highPassState;
    private readonly int _stepSamples;
    private readonly int _factor;
    private const int Window = 2 * HalfTaps;
    private const int Group = 8; // vectors of points the interpolator sums side by side
    private const int Block = 4096; // samples a channel gathers before the interpolator runs over them
    private readonly float[] _interpolator; // [phase · Window + tap]
    private readonly double _reach; // no interpolated point exceeds the largest sample of its window by more than this factor
    // Each channel's last Window − 1 samples, then the samples of the block being gathered.
    private readonly float[][] _pending = [new float[Window - 1 + Block], new float[Window - 1 + Block]];
    private int _gathered;
    private readonly List<double> _steps = []; // Σ over channels of the K-weighted energy per 100 ms
    private double _stepEnergy;
    private int _inStep;
    private long _written;
    private double _truePeak;

    public LoudnessMeter(int sampleRate)
    {
        double fs = sampleRate;
        // The K-weighting filters for any rate (the standard tabulates them at 48 kHz), as libebur128 derives them.
        double k = Math.Tan(Math.PI * 1681.974450955533 / fs), q = 0.7071752369554196;
        double vh = Math.Pow(10, 3.999843853973347 / 20), vb = Math.Pow(vh, 0.4996667741545416);
        double a0 = 1 + k / q + k * k;
        _shelf = new((vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
            2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0);
        k = Math.Tan(Math.PI * 38.13547087602444 / fs);
        q = 0.5003270373238773;
        a0 = 1 + k / q + k * k;
        _highPass = new(1, -2, 1, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0);
        _stepSamples = (int)Math.Round(fs / 10);

        _factor = sampleRate < 96000 ? 4 : sampleRate < 192000 ? 2 : 1;
        _interpolator = new float[_factor * Window];
        for (int p = 0; p < _factor; p++)
            for (int i = 0; i < 2 * HalfTaps; i++)
            {
                // Tap i is the i-th of the last 2·HalfTaps samples (oldest first); the point lies p/factor
                // after the (HalfTaps − 1)-th, and t is its distance from tap i in samples.
                double t = HalfTaps - 1 + (double)p / _factor - i;
                double x = Math.PI * t;
                double sinc = Math.Abs(t) < 1e-12 ? 1 : Math.Sin(x) / x;
                double window = 0.5 + 0.5 * Math.Cos(Math.PI * t / HalfTaps); // Hann over ±HalfTaps
                _interpolator[p * Window + i] = (float)(sinc * window);
            }
        for (int p = 1; p < _factor; p++)
        {
            double sum = 0;
            for (int i = 0; i < Window; i++) sum += Math.Abs((double)_interpolator[p * Window + i]);
            // 1e-5 covers the float sums' rounding (32 roundings of at most 2⁻²⁴ each, relative to Σ|x·c|).
            _reach = Math.Max(_reach, sum * (1 + 1e-5));
        }
    }

    /// <summary>Feeds the next samples of both channels.</summary>
    public void Add(ReadOnlySpan<float> left, ReadOnlySpan<float> right)
    {
        // In runs that end where a 100 ms step or an interpolator block does, so the filter loop has no branch of its own.
        while (left.Length > 0)
        {
            int count = Math.Min(left.Length, Math.Min(_stepSamples - _inStep, Block - _gathered));
            Weigh(left[..count], right[..count]);
            left[..count].CopyTo(_pending[0].AsSpan(Window - 1 + _gathered));
            right[..count].CopyTo(_pending[1].AsSpan(Window - 1 + _gathered));
            left = left[count..];
            right = right[count..];
            if ((_inStep += count) == _stepSamples)
            {
                _steps.Add(_stepEnergy);
                _stepEnergy = 0;
                _inStep = 0;
            }
            if ((_gathered += count) == Block) Interpolate();
        }
    }

    /// <summary>
    /// K-weights both channels and adds their energy to the step's: the four filters' state and the
    /// sum in locals for the loop (through the fields each sample, every recurrence waited on a store).
    /// </summary>
    private void Weigh(ReadOnlySpan<float> left, ReadOnlySpan<float> right)
    {
        Biquad shelf = _shelf, highPass = _highPass;
        (double sl1, double sl2, double sr1, double sr2) = (_shelfState.L1, _shelfState.L2, _shelfState.R1, _shelfState.R2);
        (double hl1, double hl2, double hr1, double hr2) = (_highPassState.L1, _highPassState.L2, _highPassState.R1, _highPassState.R2);
        double energy = _stepEnergy;
        for (int n = 0; n < left.Length; n++)
        {
            double kl = highPass.Process(shelf.Process(left[n], ref sl1, ref sl2), ref hl1, ref hl2);
            double kr = highPass.Process(shelf.Process(right[n], ref sr1, ref sr2), ref hr1, ref hr2);
            energy += kl * kl + kr * kr;
        }
        _shelfState = new(sl1, sl2, sr1, sr2);
        _highPassState = new(hl1, hl2, hr1, hr2);
        _stepEnergy = energy;
    }

    /// <summary>Integrated loudness in LUFS; null when no 400 ms block rises above the absolute gate (silence).</summary>
    public double? IntegratedLufs
    {
        get
        {
            int blocks = _steps.Count - 3;
            if (blocks <= 0) return null;
            var power = new double[blocks];
            for (int b = 0; b < blocks; b++)
                power[b] = (_steps[b] + _steps[b + 1] + _steps[b + 2] + _steps[b + 3]) / (4.0 * _stepSamples);
            double absolute = Power(-70);
            double sum = 0; int count = 0;
            foreach (double z in power) if (z > absolute) { sum += z; count++; }
            if (count == 0) return null;
            double relative = sum / count * Power(-10) / Power(0);
            sum = 0; count = 0;
            foreach (double z in power) if (z > absolute && z > relative) { sum += z; count++; }
            return count == 0 ? null : Lufs(sum / count);
        }
    }

    /// <summary>True peak in dBTP (of the oversampled signal, both channels); −∞ for silence.</summary>
    public double TruePeakDbtp
    {
        get
        {
            Interpolate();
            return 20 * Math.Log10(_truePeak);
        }
    }

    private static double Lufs(double power) => -0.691 + 10 * Math.Log10(power);
    private static double Power(double lufs) => Math.Pow(10, (lufs + 0.691) / 10);

    /// <summary>
    /// The gathered samples' peak and the interpolated points between them: the point p/factor after
    /// sample j − HalfTaps is Σᵢ x[j − (Window − 1) + i]·c_p[i] (its window ends at sample j), computed
    /// for all j of the block. Points whose window would reach before the first sample are not
    /// computed; the last Window − 1 samples stay for the next block.
    /// </summary>
    private void Interpolate()
    {
        int n = _gathered;
        if (n == 0) return;
        int skip = (int)Math.Clamp(Window - 1 - _written, 0, n); // windows not yet whole at the start of the signal
        foreach (float[] x in _pending)
        {
            _truePeak = Math.Max(_truePeak, Math.Abs(TensorPrimitives.MaxMagnitude(x.AsSpan(Window - 1, n)))); // the element of largest magnitude, signed
            _truePeak = PeakBetween(x.AsSpan(skip, n - skip + Window - 1), (float)_truePeak);
            x.AsSpan(n, Window - 1).CopyTo(x); // the last Window − 1 samples begin the next block
        }
        _written += n;
        _gathered = 0;
    }

    /// <summary>
    /// The larger of <paramref name="peak"/> and the largest magnitude among the points p/factor
    /// (p = 1 … factor − 1) after sample k + HalfTaps − 1, for every k whose window x[k … k + Window − 1]
    /// lies in <paramref name="x"/>. Each point is x[k]·c_p[0], then x[k + i]·c_p[i] + that for
    /// i = 1 … Window − 1, one rounding each, in that order (tests/Reference/ScalarLoudnessMeter.cs sums
    /// the same way, a point at a time). A group of points whose windows hold no sample above
    /// peak / reach cannot raise the peak and is not summed: the result is the same to the bit, and
    /// most of a piece, quieter than its loudest moment, is passed over.
    /// </summary>
    private float PeakBetween(ReadOnlySpan<float> x, float peak)
    {
        int points = x.Length - (Window - 1), width = Vector<float>.Count, group = Group * width;
        if (_factor == 1) return peak;
        if (points < width) // too few for a vector: the end of a signal shorter than one
        {
            for (int k = 0; k < points; k++)
                for (int p = 1; p < _factor; p++)
                {
                    ReadOnlySpan<float> c = _interpolator.AsSpan(p * Window, Window);
                    float y = x[k] * c[0];
                    for (int i = 1; i < Window; i++) y = MathF.FusedMultiplyAdd(x[k + i], c[i], y);
                    peak = MathF.Max(peak, MathF.Abs(y));
                }
            return peak;
        }
        ref float x0 = ref MemoryMarshal.GetReference(x);
        int at = 0;
        for (; at + group <= points; at += group)
            if (Reaches(x.Slice(at, group + Window - 1), peak)) peak = MathF.Max(peak, GroupPeak(ref Unsafe.Add(ref x0, at)));
        while (at < points)
        {
            if (at > points - width) at = points - width; // the last vector overlaps the one before: a point counted twice changes no maximum
            if (Reaches(x.Slice(at, width + Window - 1), peak)) peak = MathF.Max(peak, VectorPeak(ref Unsafe.Add(ref x0, at)));
            at += width;
        }
        return peak;
    }

    /// <summary>Whether a point whose window lies in these samples could exceed <paramref name="peak"/>.</summary>
    private bool Reaches(ReadOnlySpan<float> x, float peak) => Math.Abs(TensorPrimitives.MaxMagnitude(x)) * _reach >= peak;

    /// <summary>
    /// The points of Group vectors from <paramref name="x"/> on, every phase: Group sums in flight per
    /// tap (an FMA's latency times the FMA units), held in registers.
    /// </summary>
    private float GroupPeak(ref float x)
    {
        int width = Vector<float>.Count;
        Vector<float> most = Vector<float>.Zero;
        for (int p = 1; p < _factor; p++)
        {
            ref float c = ref _interpolator[p * Window];
            var tap = new Vector<float>(c);
            Vector<float> y0 = Vector.LoadUnsafe(ref x) * tap, y1 = Vector.LoadUnsafe(ref x, (nuint)width) * tap,
                y2 = Vector.LoadUnsafe(ref x, (nuint)(2 * width)) * tap, y3 = Vector.LoadUnsafe(ref x, (nuint)(3 * width)) * tap,
                y4 = Vector.LoadUnsafe(ref x, (nuint)(4 * width)) * tap, y5 = Vector.LoadUnsafe(ref x, (nuint)(5 * width)) * tap,
                y6 = Vector.LoadUnsafe(ref x, (nuint)(6 * width)) * tap, y7 = Vector.LoadUnsafe(ref x, (nuint)(7 * width)) * tap;
            for (int i = 1; i < Window; i++)
            {
                tap = new Vector<float>(Unsafe.Add(ref c, i));
                ref float xi = ref Unsafe.Add(ref x, i);
                y0 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xi), tap, y0);
                y1 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xi, (nuint)width), tap, y1);
                y2 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xi, (nuint)(2 * width)), tap, y2);
                y3 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xi, (nuint)(3 * width)), tap, y3);
                y4 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xi, (nuint)(4 * width)), tap, y4);
                y5 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xi, (nuint)(5 * width)), tap, y5);
                y6 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xi, (nuint)(6 * width)), tap, y6);
                y7 = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref xi, (nuint)(7 * width)), tap, y7);
            }
            most = Vector.Max(most, Vector.Max(Vector.Max(Vector.Max(Vector.Abs(y0), Vector.Abs(y1)), Vector.Max(Vector.Abs(y2), Vector.Abs(y3))),
                Vector.Max(Vector.Max(Vector.Abs(y4), Vector.Abs(y5)), Vector.Max(Vector.Abs(y6), Vector.Abs(y7)))));
        }
        return Largest(most);
    }

    /// <summary>The points of one vector from <paramref name="x"/> on, every phase.</summary>
    private float VectorPeak(ref float x)
    {
        Vector<float> most = Vector<float>.Zero;
        for (int p = 1; p < _factor; p++)
        {
            ref float c = ref _interpolator[p * Window];
            Vector<float> y = Vector.LoadUnsafe(ref x) * new Vector<float>(c);
            for (int i = 1; i < Window; i++) y = Vector.FusedMultiplyAdd(Vector.LoadUnsafe(ref x, (nuint)i), new Vector<float>(Unsafe.Add(ref c, i)), y);
            most = Vector.Max(most, Vector.Abs(y));
        }
        return Largest(most);
    }

    private static float Largest(Vector<float> v)
    {
        float largest = v[0];
        for (int i = 1; i < Vector<float>.Count; i++) largest = MathF.Max(largest, v[i]);
        return largest;
    }

    /// <summary>A biquad's coefficients; its state (z₁, z₂) is the caller's, in locals for a loop.</summary>
    private readonly record struct Biquad(double B0, double B1, double B2, double A1, double A2)
    {
        /// <summary>Transposed direct form II.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public double Process(double x, ref double z1, ref double z2)
        {
            double y = B0 * x + z1;
            z1 = B1 * x - A1 * y + z2;
            z2 = B2 * x - A2 * y;
            return y;
        }
    }

    private readonly record struct FilterState(double L1, double L2, double R1, double R2);
}
