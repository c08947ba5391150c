using BenchmarkDotNet.Attributes;
using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Midi;

namespace Losses.Bench.Micro;

/// <summary>
/// MIDI event dispatch: LossesProcessor.Process of a 64-sample block carrying a note-on, a
/// note-off and a controller (part 1: each note-on above the bass is a cubic step and a voice).
/// </summary>
public class DispatchBenchmarks
{
    private const int Block = 64;
    private readonly LossesProcessor _processor = new(EngineConfig.Default, seed: 1);
    private readonly float[] _left = new float[Block], _right = new float[Block];
    private readonly MidiEvent[] _events = new MidiEvent[3];
    private int _note;

    [GlobalSetup]
    public void Setup()
    {
        _processor.Prepare(48000, Block);
        _processor.Process(_left, _right, [MidiEvent.NoteOn(0, 36, 90)]); // a bass note: a cubic target
    }

    [Benchmark(Description = "Process, 64 samples, 3 events")]
    public void Process()
    {
        int on = 60 + _note, off = 60 + (_note + 12) % 24;
        _note = (_note + 7) % 24;
        _events[0] = MidiEvent.NoteOn(5, on, 80);
        _events[1] = MidiEvent.Control(20, 1, _note);
        _events[2] = MidiEvent.NoteOff(40, off);
        _processor.Process(_left, _right, _events);
    }
}
