using Losses.Reference;
using Losses.Engine.Config;
using Losses.Engine.Synthesis;

namespace Losses.Bench.Voices;

/// <summary>The engine's bank as the voice-count search drives it (the scalar reference, tests/Reference, is an <see cref="IVoiceBank"/> itself).</summary>
internal sealed class EngineBank(VoiceSettings settings, float sampleRate) : IVoiceBank
{
    private readonly VoiceBank _bank = new(settings, sampleRate, maxDetune: 0.5f, seed: 1);
    public int ActiveVoices => _bank.ActiveVoices;
    public int NoteOn(int note, int velocity, float detune) => _bank.NoteOn(note, velocity, detune);
    public void SetDetuneTarget(int voice, float detune) => _bank.SetDetuneTarget(voice, detune);
    public void ControlUpdate() => _bank.ControlUpdate();
    public void Render(Span<float> left, Span<float> right) => _bank.Render(left, right);
}
