using Losses.Bench.Baseline;
using Losses.Engine.Config;
using Losses.Engine.Synthesis;

namespace Losses.Bench.Voices;

/// <summary>What the voice-count search drives: the engine's bank or the scalar baseline.</summary>
internal interface IBank
{
    int ActiveVoices { get; }
    int NoteOn(int note, int velocity, float detune);
    void SetDetuneTarget(int voice, float detune);
    void ControlUpdate();
    void Render(Span<float> left, Span<float> right);
}

internal sealed class EngineBank(VoiceSettings settings, float sampleRate) : IBank
{
    private readonly VoiceBank _bank = new(settings, sampleRate, maxDetune: 0.5f, seed: 1);
    public int ActiveVoices => _bank.ActiveVoices;
    public int NoteOn(int note, int velocity, float detune) => _bank.NoteOn(note, velocity, detune);
    public void SetDetuneTarget(int voice, float detune) => _bank.SetDetuneTarget(voice, detune);
    public void ControlUpdate() => _bank.ControlUpdate();
    public void Render(Span<float> left, Span<float> right) => _bank.Render(left, right);
}

internal sealed class BaselineBank(VoiceSettings settings, float sampleRate) : IBank
{
    private readonly ScalarVoiceBank _bank = new(settings, sampleRate, maxDetune: 0.5f, seed: 1);
    public int ActiveVoices => _bank.ActiveVoices;
    public int NoteOn(int note, int velocity, float detune) => _bank.NoteOn(note, velocity, detune);
    public void SetDetuneTarget(int voice, float detune) => _bank.SetDetuneTarget(voice, detune);
    public void ControlUpdate() => _bank.ControlUpdate();
    public void Render(Span<float> left, Span<float> right) => _bank.Render(left, right);
}
