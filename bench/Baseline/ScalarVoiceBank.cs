using Losses.Engine.Config;
using Losses.Engine.Learning;
using Losses.Engine.Synthesis;

namespace Losses.Bench.Baseline;

/// <summary>
/// The deliberate baseline: the reference voice of <see cref="VoiceBank"/> written plainly —
/// one voice at a time, one partial at a time, <see cref="MathF.Sin"/> per partial-sample, no
/// vectors. Same envelope, detune glide, smooth-noise sweep (same random draws in the same
/// order), low-pass and pan, and the same fused multiply-adds where the bank uses them, so the
/// two agree within float rounding of the sine. The same phases too: the fundamental's φ₀ and the
/// overtones' φ′ = ∫f₀(1+detune)/fs, overtone k at k·φ′ — here each overtone's sine is taken
/// directly, sin(2π·frac(k·φ′)) with k·φ′ formed in double, where the bank uses a recurrence. The benchmarks measure the bank against it and
/// the tests (which link this file) pin the bank's output to it.
/// </summary>
public sealed class ScalarVoiceBank
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
        public float Phase, OvertonePhase, Increment; // φ₀, φ′ in cycles; f₀/fs
        public float[] GainLeft = [], GainRight = [];
    }

    private readonly VoiceSettings _settings;
    private readonly float _sampleRate, _glide, _dampMul, _maxDetune;
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
        _glide = settings.GlideCoefficient(sampleRate);
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
        voice.Phase = 0.25f;
        voice.OvertonePhase = 0.25f;
        voice.Increment = f0 / _sampleRate;
        for (int k = 0; k < _partials; k++)
        {
            bool audible = VoiceSettings.PartialIsAudible(k, f0, _sampleRate, _maxDetune);
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
            if (MathF.Abs(voice.Detune - voice.DetuneTarget) < 1e-7f) voice.Detune = voice.DetuneTarget;
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
    }

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
                voice.Detune = MathF.FusedMultiplyAdd(voice.DetuneTarget - voice.Detune, _glide, voice.Detune);
                voice.Env = MathF.Max(MathF.Min(MathF.FusedMultiplyAdd(voice.Env, voice.EnvMul, voice.EnvAdd), 1f), 0f);
                // The fundamental is never detuned; overtones glide with the detune.
                float phase = voice.Phase + voice.Increment;
                voice.Phase = phase - MathF.Round(phase);
                float overtonePhase = MathF.FusedMultiplyAdd(voice.Increment, 1f + voice.Detune, voice.OvertonePhase);
                voice.OvertonePhase = overtonePhase - MathF.Round(overtonePhase);
                float sumL = 0f, sumR = 0f;
                for (int k = 0; k < _partials; k++)
                {
                    float x;
                    if (k == 0)
                    {
                        x = MathF.Sin(2f * MathF.PI * voice.Phase);
                    }
                    else
                    {
                        double cycles = (k + 1) * (double)voice.OvertonePhase;
                        x = MathF.Sin((float)(2 * Math.PI * (cycles - Math.Round(cycles))));
                    }
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
    }
}
