using System.Runtime.Intrinsics;
using Losses.Engine.Config;

namespace Losses.Engine.Synthesis;

/// <summary>The voice bank's voices: starting, releasing and stealing them (which slot a note gets).</summary>
public sealed partial class VoiceBank
{
    /// <summary>
    /// Starts a voice at the current sample and returns its index. When the polyphony is full the
    /// quietest voice is stolen: it fades out in a few milliseconds in its own slot while the new
    /// note starts in a spare one (cut at once only if every spare slot is still fading).
    /// </summary>
    public int NoteOn(int note, int velocity, float detune)
    {
        if (_sounding >= _settings.Polyphony)
        {
            int victim = QuietestSounding();
            _stage[victim] = Stage.Fade;
            _envMul[victim] = _fadeMul;
            _envAdd[victim] = 0f;
            _sounding--;
            Steals++;
        }
        int v = FirstIdle();
        if (v < 0)
        {
            v = QuietestFading();
        }
        else
        {
            _groupActive[v / Lanes]++;
            ActiveVoices++;
        }
        _sounding++;

        float f0 = _tuning.Frequency(note);
        float partialGain = 1f / _partials;

        _stage[v] = Stage.Attack;
        _note[v] = note;
        _serial[v] = _nextSerial++;
        // Attack and decay: Env.perc's curved segments; the attack is above zero on the first sample.
        _env[v] = 0f;
        (_envMul[v], _envAdd[v]) = _settings.Segment(_settings.AttackSeconds, _sampleRate, 0f, 1f);
        float decaySeconds = note < _settings.LongReleaseBelow ? _settings.LongReleaseSeconds : _settings.ReleaseSeconds;
        (_decayMul[v], _decayAdd[v]) = _settings.Segment(decaySeconds, _sampleRate, 1f, 0f);
        _gain[v] = _settings.AmplitudeOf(velocity);
        _detune[v] = detune;
        _detuneTarget[v] = detune;
        _zl1[v] = _zl2[v] = _zr1[v] = _zr2[v] = 0f;
        _noise0[v] = _rng.NextFloat();
        _noise1[v] = _rng.NextFloat();
        _noisePos[v] = _rng.NextFloat();
        UpdateFilter(v);

        // Cosine start of both phasors: the first sample of the attack is already non-zero, and
        // overtone k starts at k/4 cycles of φ′. The phases are dated back to the sub-block's start,
        // where the next control point advances them from.
        float increment = f0 / _sampleRate;
        float overtoneIncrement = increment * (1f + detune);
        _increment[v] = increment;
        _overtoneIncrement[v] = overtoneIncrement;
        // Lane 0 of the control-rate vector maths, so a note's first sub-block turns as the rest do.
        Vector256<float> phases = Sine.Wrap(Vector256.Create(MathF.FusedMultiplyAdd(-_elapsed, increment, 0.25f), MathF.FusedMultiplyAdd(-_elapsed, overtoneIncrement, 0.25f), 0f, 0f, 0f, 0f, 0f, 0f));
        _phase[v] = phases[0];
        _overtonePhase[v] = phases[1];
        _cos[v] = 0f; _sin[v] = 1f;
        _overtoneCos[v] = 0f; _overtoneSin[v] = 1f;
        // The fundamental's turn holds for the whole note: taken once, in double.
        (double turnSin, double turnCos) = Math.SinCos(2 * Math.PI * increment);
        _turnCos[v] = (float)turnCos; _turnSin[v] = (float)turnSin;
        (Vector256<float> overtoneTurnCos, Vector256<float> overtoneTurnSin) = Sine.CosSinOfCycles(Sine.Wrap(Vector256.Create(overtoneIncrement)));
        _overtoneTurnCos[v] = overtoneTurnCos.ToScalar();
        _overtoneTurnSin[v] = overtoneTurnSin.ToScalar();
        for (int k = 0; k < _partials; k++)
        {
            int i = k * _capacity + v;
            bool audible = VoiceMaths.PartialIsAudible(k, f0, _sampleRate, _maxDetune);
            _gainLeft[i] = audible ? partialGain * _panLeft[k] : 0f;
            _gainRight[i] = audible ? partialGain * _panRight[k] : 0f;
        }
        return v;
    }

    /// <summary>Key released: the voice damps away (never cut, so never a click).</summary>
    public void Release(int voice)
    {
        if (_stage[voice] is Stage.Idle or Stage.Damp or Stage.Fade) return;
        _stage[voice] = Stage.Damp;
        _envMul[voice] = _dampMul;
        _envAdd[voice] = 0f;
    }

    public void ReleaseAll()
    {
        for (int v = 0; v < _capacity; v++) Release(v);
    }

    /// <summary>The detune glides to this value from the next control point on (at most <see cref="ControlPeriod"/> samples later).</summary>
    public void SetDetuneTarget(int voice, float detune) => _detuneTarget[voice] = detune;

    private int FirstIdle()
    {
        for (int v = 0; v < _capacity; v++)
            if (_stage[v] == Stage.Idle) return v;
        return -1;
    }

    /// <summary>The quietest released voice, else the quietest of all that sound.</summary>
    private int QuietestSounding()
    {
        int best = -1;
        float bestLevel = float.MaxValue;
        for (int pass = 0; pass < 2 && best < 0; pass++)
        {
            for (int v = 0; v < _capacity; v++)
            {
                Stage stage = _stage[v];
                if (stage is Stage.Idle or Stage.Fade || (pass == 0 && stage != Stage.Damp)) continue;
                float level = _env[v] * _gain[v];
                if (level < bestLevel) { bestLevel = level; best = v; }
            }
        }
        return best;
    }

    private int QuietestFading()
    {
        int best = 0;
        float bestLevel = float.MaxValue;
        for (int v = 0; v < _capacity; v++)
        {
            float level = _env[v] * _gain[v];
            if (_stage[v] == Stage.Fade && level < bestLevel) { bestLevel = level; best = v; }
        }
        return best;
    }
}
