namespace Losses.Reference;

/// <summary>
/// The plain reading of <see cref="Losses.Engine.Audio.LoudnessMeter"/>: one sample at a time, one
/// interpolated point at a time, no vectors, no blocks, no groups passed over. The same K-weighting
/// (transposed direct form II in doubles), the same 100 ms steps and gates, and each true-peak point
/// summed in the meter's order — x[0]·c[0], then one fused multiply-add a tap — so the two must agree
/// to the bit (LoudnessTests).
/// </summary>
public sealed class ScalarLoudnessMeter
{
    private const int HalfTaps = 16, Window = 2 * HalfTaps;

    private readonly double[] _shelf, _highPass; // b0 b1 b2 a1 a2
    private readonly double[][] _state = [new double[4], new double[4]]; // per channel: shelf z1 z2, high-pass z1 z2
    private readonly int _stepSamples, _factor;
    private readonly float[] _taps; // [phase · Window + tap]
    private readonly float[][] _history = [new float[Window], new float[Window]]; // the last Window samples, oldest first
    private readonly List<double> _steps = [];
    private double _stepEnergy, _truePeak;
    private int _inStep;
    private long _seen;

    public ScalarLoudnessMeter(int sampleRate)
    {
        double fs = sampleRate;
        double k = Math.Tan(Math.PI * 1681.974450955533 / fs), q = 0.7071752369554196;
        double vh = Math.Pow(10, 3.999843853973347 / 20), vb = Math.Pow(vh, 0.4996667741545416);
        double a0 = 1 + k / q + k * k;
        _shelf = [(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0];
        k = Math.Tan(Math.PI * 38.13547087602444 / fs);
        q = 0.5003270373238773;
        a0 = 1 + k / q + k * k;
        _highPass = [1, -2, 1, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0];
        _stepSamples = (int)Math.Round(fs / 10);
        _factor = sampleRate < 96000 ? 4 : sampleRate < 192000 ? 2 : 1;
        _taps = new float[_factor * Window];
        for (int p = 0; p < _factor; p++)
            for (int i = 0; i < Window; i++)
            {
                double t = HalfTaps - 1 + (double)p / _factor - i;
                double sinc = Math.Abs(t) < 1e-12 ? 1 : Math.Sin(Math.PI * t) / (Math.PI * t);
                _taps[p * Window + i] = (float)(sinc * (0.5 + 0.5 * Math.Cos(Math.PI * t / HalfTaps)));
            }
    }

    public void Add(ReadOnlySpan<float> left, ReadOnlySpan<float> right)
    {
        for (int n = 0; n < left.Length; n++)
        {
            double kl = Weigh(0, left[n]), kr = Weigh(1, right[n]);
            _stepEnergy += kl * kl + kr * kr;
            if (++_inStep == _stepSamples)
            {
                _steps.Add(_stepEnergy);
                _stepEnergy = 0;
                _inStep = 0;
            }
            _seen++;
            Peak(0, left[n]);
            Peak(1, right[n]);
        }
    }

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
            return count == 0 ? null : -0.691 + 10 * Math.Log10(sum / count);
        }
    }

    public double TruePeakDbtp => 20 * Math.Log10(_truePeak);

    private static double Power(double lufs) => Math.Pow(10, (lufs + 0.691) / 10);

    private double Weigh(int channel, double x)
    {
        double[] z = _state[channel];
        double y = _shelf[0] * x + z[0];
        z[0] = _shelf[1] * x - _shelf[3] * y + z[1];
        z[1] = _shelf[2] * x - _shelf[4] * y;
        double w = _highPass[0] * y + z[2];
        z[2] = _highPass[1] * y - _highPass[3] * w + z[3];
        z[3] = _highPass[2] * y - _highPass[4] * w;
        return w;
    }

    /// <summary>The sample, and once Window samples have come, the points between the window's middle two.</summary>
    private void Peak(int channel, float x)
    {
        float[] h = _history[channel];
        Array.Copy(h, 1, h, 0, Window - 1);
        h[Window - 1] = x;
        _truePeak = Math.Max(_truePeak, Math.Abs(x));
        if (_seen < Window) return;
        for (int p = 1; p < _factor; p++)
        {
            float y = h[0] * _taps[p * Window];
            for (int i = 1; i < Window; i++) y = MathF.FusedMultiplyAdd(h[i], _taps[p * Window + i], y);
            _truePeak = Math.Max(_truePeak, Math.Abs(y));
        }
    }
}
