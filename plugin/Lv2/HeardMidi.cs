using Losses.Engine.Live;
using Losses.Engine.Midi;
using Losses.Protocol;

namespace Losses.Plugin.Lv2;

/// <summary>
/// `LOSSES_PLUGIN_MIDI_LOG=FILE.mid`: every message the plugin played, at its own samples (one tick
/// = one sample), written when the host deactivates it — to re-render a DAW set offline with
/// `./losses render`, and how the tests learn what the host delivered, where. A thread of its own
/// drains the playing core's queue into an array made beforehand: nothing allocates while the set
/// runs. A restored state starts the piece, and so the log, from the top.
/// </summary>
internal sealed class HeardMidi
{
    private const int Capacity = 1 << 20;
    private readonly RecordedMidi[] _events = new RecordedMidi[Capacity];
    private readonly string _path;
    private readonly int _sampleRate;
    private readonly Thread _thread;
    private volatile bool _stop;
    private int _count;

    public HeardMidi(string path, PluginInstance instance, int sampleRate)
    {
        _path = path;
        _sampleRate = sampleRate;
        _thread = new Thread(() =>
        {
            LiveCore? core = null;
            while (true)
            {
                bool stopping = _stop; // one more drain after the stop is seen
                LiveCore? playing = instance.Core ?? core;
                if (playing != core) _count = 0;
                core = playing;
                while (core is not null && core.Recording.TryDequeue(out RecordedMidi m))
                    if (_count < Capacity) _events[_count++] = m;
                if (stopping) break;
                Thread.Sleep(10);
            }
        }) { IsBackground = true, Name = "losses plugin midi log" };
        _thread.Start();
    }

    /// <summary>Not real-time (deactivate): stops the drain and writes the file.</summary>
    public void Finish()
    {
        _stop = true;
        _thread.Join();
        var events = new TickedMidiEvent[_count];
        for (int i = 0; i < _count; i++) events[i] = new TickedMidiEvent(_events[i].SampleTime, _events[i].Status, _events[i].Data1, _events[i].Data2);
        PendingFile.WriteAllBytes(_path, new StandardMidiFileWriter(_sampleRate / 2, 500_000).AddTrack(events, "heard by the Losses plugin").ToArray(0));
    }
}
