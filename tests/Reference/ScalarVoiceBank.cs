using Losses.Engine.Config;
using Losses.Engine.Core;
using Losses.Engine.Synthesis;

namespace Losses.Reference;

/// <summary>What a voice-count run drives: the engine's bank (through the bench's one adapter) or this reference.</summary>
public interface IVoiceBank
{
    int ActiveVoices { get; }
    int NoteOn(int note, int velocity, float detune);
    void SetDetuneTarget(int voice, float detune);
    void ControlUpdate();
    void Render(Span<float> left, Span<float> right);
}

/// <summary>
/// The deliberate baseline: the reference voice of <see cref="VoiceBank"/> written plainly —
/// one voice at a time, one partial at a time, one <see cref="MathF.Sin"/> per partial-sample, no
/// vectors, no phasors. Same envelope, control-rate detune glide, smooth-noise sweep (same random
/// draws in the same order), low-pass and pan, and the same fused multiply-adds where the bank
/// uses them, so the two agree within float rounding of the sines. The same phases too: at each
/// control point the fundamental's φ₀ and the overtones' φ′ advance by the samples rendered, and
/// sample i of the sub-block sounds φ + (i+1)·increment — here each partial's sine is taken
/// directly from that phase, sin(2π·frac(k·φ)) formed in double, where the bank turns phasors and
/// runs a recurrence. The benchmarks measure the bank against it and the tests (which link this
/// file) pin the bank's output to it.
/// </summary>
public sealed class ScalarVoiceBank : IVoiceBank
{
    public const int ControlPeriod = VoiceBank.ControlPeriod;
    private const float SilenceLevel = 1e-4f;

    private sealed class Voice
    {
        public int Stage; // 0 idle, 1 attack, 2 decay, 3 damp
        public float Env, EnvMul = 1f, EnvAdd, Gain, DecayMul, DecayAdd;
        public float Detune, DetuneTarget;
        public float B0, B1, B2, A1, A2, Zl1, Zl2, Zr1, Zr2;
        public float NoisePos, Noise0, Noise1;
        public float Phase, OvertonePhase; // φ₀, φ′ in cycles at the last control point
        public float Increment, OvertoneIncrement; // f₀/fs, f₀(1+d)/fs
        public float[] GainLeft = [], GainRight = [];
    }

    private readonly VoiceSettings _settings;
    private readonly float _sampleRate, _controlGlide, _dampMul, _maxDetune;
    private int _elapsed; // samples rendered since the last control point
    private readonly Tuning _tuning;
    private readonly int _partials;
    private readonly float[] _panLeft, _panRight;
    private readonly Voice[] _voices;
    private Rng _rng;

    public ScalarVoiceBank(VoiceSettings settings, float sampleRate, float maxDetune, ulong seed, Tuning? tuning = null)
    {
        _tuning = tuning ?? Tuning.Equal;
        _settings = settings;
        _sampleRate = sampleRate;
        _partials = settings.Partials;
        _rng = new Rng(seed, stream: 2);
        _panLeft = new float[_partials];
        _panRight = new float[_partials];
        for (int k = 0; k < _partials; k++) (_panLeft[k], _panRight[k]) = settings.Pan(k);
        _controlGlide = settings.ControlGlideCoefficient(sampleRate, ControlPeriod);
        _dampMul = settings.DampMultiplier(sampleRate);
        _maxDetune = maxDetune;
        _voices = new Voice[settings.Polyphony];
        for (int v = 0; v < _voices.Length; v++)
        {
            _voices[v] = new Voice
            {
                GainLeft = new float[_partials], GainRight = new float[_partials],
            };
        }
    }

    public int ActiveVoices { get; private set; }

    /// <summary>Starts a voice in the first idle slot (the benchmark never oversubscribes).</summary>
    public int NoteOn(int note, int velocity, float detune)
    {
        int v = Array.FindIndex(_voices, x => x.Stage == 0);
        if (v < 0) return -1;
        Voice voice = _voices[v];
        ActiveVoices++;
        float f0 = _tuning.Frequency(note);
        voice.Stage = 1;
        voice.Env = 0f;
        (voice.EnvMul, voice.EnvAdd) = _settings.Segment(_settings.AttackSeconds, _sampleRate, 0f, 1f);
        float decaySeconds = note < _settings.LongReleaseBelow ? _settings.LongReleaseSeconds : _settings.ReleaseSeconds;
        (voice.DecayMul, voice.DecayAdd) = _settings.Segment(decaySeconds, _sampleRate, 1f, 0f);
        voice.Gain = _settings.AmplitudeOf(velocity);
        voice.Detune = voice.DetuneTarget = detune;
        voice.Zl1 = voice.Zl2 = voice.Zr1 = voice.Zr2 = 0f;
        voice.Noise0 = _rng.NextFloat();
        voice.Noise1 = _rng.NextFloat();
        voice.NoisePos = _rng.NextFloat();
        UpdateFilter(voice);
        // Cosine start, the phases dated back to the sub-block's start.
        voice.Increment = f0 / _sampleRate;
        voice.OvertoneIncrement = voice.Increment * (1f + detune);
        voice.Phase = Wrap(MathF.FusedMultiplyAdd(-_elapsed, voice.Increment, 0.25f));
        voice.OvertonePhase = Wrap(MathF.FusedMultiplyAdd(-_elapsed, voice.OvertoneIncrement, 0.25f));
        for (int k = 0; k < _partials; k++)
        {
            bool audible = VoiceMaths.PartialIsAudible(k, f0, _sampleRate, _maxDetune);
            voice.GainLeft[k] = audible ? _panLeft[k] / _partials : 0f;
            voice.GainRight[k] = audible ? _panRight[k] / _partials : 0f;
        }
        return v;
    }

    public void Release(int v)
    {
        Voice voice = _voices[v];
        if (voice.Stage is 0 or 3) return;
        voice.Stage = 3;
        voice.EnvMul = _dampMul;
        voice.EnvAdd = 0f;
    }

    public void SetDetuneTarget(int v, float detune) => _voices[v].DetuneTarget = detune;

    public void ControlUpdate()
    {
        float noiseStep = _settings.SweepHz * ControlPeriod / _sampleRate;
        foreach (Voice voice in _voices)
        {
            if (voice.Stage == 0) continue;
            if (voice.Stage == 1 && voice.Env >= 1f)
            {
                voice.Stage = 2;
                voice.EnvMul = voice.DecayMul;
                voice.EnvAdd = voice.DecayAdd;
            }
            else if (voice.Stage != 1 && voice.Env < SilenceLevel)
            {
                voice.Stage = 0;
                voice.Env = voice.Gain = voice.Detune = voice.DetuneTarget = 0f;
                voice.EnvMul = 1f;
                voice.EnvAdd = 0f;
                ActiveVoices--;
                continue;
            }
            voice.Phase = Wrap(MathF.FusedMultiplyAdd(_elapsed, voice.Increment, voice.Phase));
            voice.OvertonePhase = Wrap(MathF.FusedMultiplyAdd(_elapsed, voice.OvertoneIncrement, voice.OvertonePhase));
            voice.Detune = MathF.FusedMultiplyAdd(voice.DetuneTarget - voice.Detune, _controlGlide, voice.Detune);
            if (MathF.Abs(voice.Detune - voice.DetuneTarget) < 1e-7f) voice.Detune = voice.DetuneTarget;
            voice.OvertoneIncrement = voice.Increment * (1f + voice.Detune);
            float pos = voice.NoisePos + noiseStep;
            if (pos >= 1f)
            {
                pos -= 1f;
                voice.Noise0 = voice.Noise1;
                voice.Noise1 = _rng.NextFloat();
            }
            voice.NoisePos = pos;
            UpdateFilter(voice);
        }
        _elapsed = 0;
    }

    private static float Wrap(float x) => x - MathF.Round(x);

    private void UpdateFilter(Voice voice)
    {
        float t = voice.NoisePos;
        float s = t * t * (3f - 2f * t);
        float noise = voice.Noise0 + (voice.Noise1 - voice.Noise0) * s;
        float cutoff = _settings.CutoffLowHz + (_settings.CutoffHighHz - _settings.CutoffLowHz) * noise;
        float w0 = 2f * MathF.PI * MathF.Min(cutoff, 0.45f * _sampleRate) / _sampleRate;
        float cos = MathF.Cos(w0);
        float alpha = MathF.Sin(w0) / (2f * 0.70710678f);
        float a0 = 1f + alpha;
        float b1 = (1f - cos) / a0;
        voice.B0 = b1 * 0.5f;
        voice.B1 = b1;
        voice.B2 = b1 * 0.5f;
        voice.A1 = -2f * cos / a0;
        voice.A2 = (1f - alpha) / a0;
    }

    /// <summary>Renders up to <see cref="ControlPeriod"/> samples (callers split on the control grid), overwriting.</summary>
    public void Render(Span<float> left, Span<float> right)
    {
        left.Clear();
        right.Clear();
        foreach (Voice voice in _voices)
        {
            if (voice.Stage == 0) continue;
            for (int s = 0; s < left.Length; s++)
            {
                voice.Env = MathF.Max(MathF.Min(MathF.FusedMultiplyAdd(voice.Env, voice.EnvMul, voice.EnvAdd), 1f), 0f);
                // The fundamental is never detuned; the overtones follow the sub-block's detune.
                int step = _elapsed + s + 1;
                float sumL = 0f, sumR = 0f;
                for (int k = 0; k < _partials; k++)
                {
                    double cycles = k == 0
                        ? voice.Phase + step * (double)voice.Increment
                        : (k + 1) * (voice.OvertonePhase + step * (double)voice.OvertoneIncrement);
                    float x = MathF.Sin((float)(2 * Math.PI * (cycles - Math.Round(cycles))));
                    sumL += x * voice.GainLeft[k];
                    sumR += x * voice.GainRight[k];
                }
                // One low-pass per channel on the partial sums: the filter is linear and the same
                // for every partial, so this equals filtering each partial before panning.
                float yl = voice.B0 * sumL + voice.Zl1;
                voice.Zl1 = voice.B1 * sumL + voice.Zl2 - voice.A1 * yl;
                voice.Zl2 = voice.B2 * sumL - voice.A2 * yl;
                float yr = voice.B0 * sumR + voice.Zr1;
                voice.Zr1 = voice.B1 * sumR + voice.Zr2 - voice.A1 * yr;
                voice.Zr2 = voice.B2 * sumR - voice.A2 * yr;
                float level = _settings.DetuneAmplitude != 0f
                    ? voice.Env * voice.Gain * MathF.FusedMultiplyAdd(-_settings.DetuneAmplitude, voice.Detune, 1f)
                    : voice.Env * voice.Gain;
                left[s] += yl * level;
                right[s] += yr * level;
            }
        }
        _elapsed += left.Length;
    }
}
