using Losses.Engine.Live;
using Losses.Engine.Midi;
using Losses.Platform;
using Losses.Protocol;

namespace Losses.Plugin.Instance;

/// <summary>
/// `LOSSES_PLUGIN_MIDI_LOG=FILE.mid`: every message the plugin played, at its own samples (one tick
/// = one sample), to re-render a DAW set offline with `./losses render`, and how the tests learn what
/// the host delivered, where. One file per piece: a piece ends where the plugin starts it again (an
/// activation, a restored state, the transport starting or jumping) and at deactivation; each goes
/// to the first free name of FILE.mid, FILE-2.mid, FILE-3.mid, … (nothing is overwritten; a piece
/// with no message writes nothing). The sample times are the plugin's clock, which follows the host's
/// timeline while it rolls. A thread of its own drains the playing core's queue into an array made
/// beforehand and writes the files: nothing allocates or waits on the audio thread.
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
                if (playing != core)
                {
                    Drain(core); // a restored state: what the old core played is one piece
                    Write();
                    core = playing;
                }
                Drain(core);
                if (stopping) break;
                Thread.Sleep(10);
            }
            Write();
        }) { IsBackground = true, Name = "losses plugin midi log" };
        _thread.Start();
    }

    private void Drain(LiveCore? core)
    {
        while (core is not null && core.Recording.TryDequeue(out RecordedMidi m))
        {
            if (m.IsRestart) Write();
            else if (_count < Capacity) _events[_count++] = m;
        }
    }

    /// <summary>The piece so far into the next free file name (the log's thread).</summary>
    private void Write()
    {
        if (_count == 0) return;
        var events = new TickedMidiEvent[_count];
        for (int i = 0; i < _count; i++) events[i] = new TickedMidiEvent(_events[i].SampleTime, _events[i].Status, _events[i].Data1, _events[i].Data2);
        _count = 0;
        try
        {
            PendingFile.WriteAllBytes(FreeName(_path), new StandardMidiFileWriter(_sampleRate / 2, 500_000).AddTrack(events, "heard by the Losses plugin").ToArray(0));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"losses: plugin: cannot write LOSSES_PLUGIN_MIDI_LOG: {e.Message}");
        }
    }

    /// <summary>FILE.mid, else FILE-2.mid, FILE-3.mid, …: the first that does not exist.</summary>
    public static string FreeName(string path)
    {
        if (!File.Exists(path)) return path;
        string stem = Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path)), extension = Path.GetExtension(path);
        for (int n = 2; ; n++)
        {
            string candidate = $"{stem}-{n}{extension}";
            if (!File.Exists(candidate)) return candidate;
        }
    }

    /// <summary>Not real-time (deactivate): stops the drain; the last piece is written.</summary>
    public void Finish()
    {
        _stop = true;
        _thread.Join();
    }
}
