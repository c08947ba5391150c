using System.Runtime.InteropServices;
using Losses.Engine.Live.Jack;

namespace Losses.Tests.Live;

/// <summary>
/// A second JACK client, as a piano and a recorder would be: it sends MIDI messages at chosen
/// absolute JACK frame times (so at chosen offsets of chosen cycles) and records two audio inputs
/// by frame time. Its own callbacks may allocate — it is the test, not the engine.
/// </summary>
public sealed unsafe class JackTestClient : IDisposable
{
    private readonly nint _client;
    private readonly nint _midiOut, _inLeft, _inRight;
    private (uint Frame, byte S, byte D1, byte D2)[] _schedule = [];
    private float[] _left = [], _right = [];
    private byte[] _writes = [];
    private uint _recordFrom;
    private GCHandle _self;
    private int _next;

    public JackTestClient(string name)
    {
        _client = JackNative.Open(name, out int status);
        if (_client == 0) throw new InvalidOperationException($"test client could not reach JACK (0x{status:x})");
        _midiOut = JackNative.Register(_client, "midi_out", JackNative.MidiType, JackNative.PortIsOutput);
        _inLeft = JackNative.Register(_client, "in_left", JackNative.AudioType, JackNative.PortIsInput);
        _inRight = JackNative.Register(_client, "in_right", JackNative.AudioType, JackNative.PortIsInput);
        Name = JackNative.String(JackNative.jack_get_client_name(_client))!;
    }

    /// <summary>Activates the client (its callback runs, and warms up, before anything is played or recorded).</summary>
    public void Start()
    {
        _self = GCHandle.Alloc(this);
        JackNative.jack_set_process_callback(_client, &OnProcess, GCHandle.ToIntPtr(_self));
        JackNative.jack_set_xrun_callback(_client, &OnXrun, GCHandle.ToIntPtr(_self));
        if (JackNative.jack_activate(_client) != 0) throw new InvalidOperationException("test client could not activate");
    }

    public bool Done => Sent == _schedule.Length;

    /// <summary>Sends these messages at their absolute frame times (which must lie ahead).</summary>
    public void Play(IEnumerable<(uint Frame, byte S, byte D1, byte D2)> schedule)
    {
        var sorted = schedule.OrderBy(e => e.Frame).ToArray();
        Volatile.Write(ref _next, 0);
        Volatile.Write(ref _schedule, sorted);
    }

    /// <summary>Records the inputs from frame <paramref name="from"/> for <paramref name="frames"/> frames.</summary>
    public void Record(uint from, int frames)
    {
        _left = new float[frames];
        _right = new float[frames];
        _writes = new byte[frames];
        Volatile.Write(ref _recordFrom, from);
    }

    public string Name { get; }
    public float[] Left => _left;
    public float[] Right => _right;
    /// <summary>How many cycles wrote each recorded frame: 1 where JACK ran this client once for it; 0 (a cycle skipped under load) or 2+ (a frame time repeated) leave that frame's recording unreliable.</summary>
    public byte[] Writes => _writes;
    public uint RecordingStart => _recordFrom;
    public int Sent => Volatile.Read(ref _next);
    public long CyclesSeen;
    /// <summary>The frame time of each of this client's cycles (the first 1 Mi), to tell a cycle JACK ran twice or skipped.</summary>
    public readonly uint[] CycleStarts = new uint[1 << 20];

    /// <summary>Cycles whose frame time did not follow the previous one by one period (JACK ran this client twice for one frame time, or skipped it).</summary>
    public IEnumerable<string> IrregularCycles(int period)
    {
        long n = Math.Min(Interlocked.Read(ref CyclesSeen), CycleStarts.Length);
        for (long c = 2; c < n; c++)
        {
            long step = (long)CycleStarts[c] - CycleStarts[c - 1];
            if (step != period) yield return $"cycle {c} at frame {CycleStarts[c]} (+{step})";
        }
    }

    /// <summary>The server's current frame time (not from the process thread).</summary>
    public static uint Now(nint client) => JackNative.jack_frame_time(client);
    public uint Now() => JackNative.jack_frame_time(_client);

    /// <summary>As a piano: our MIDI out to the engine's MIDI in.</summary>
    public void PlayInto(string engineClient) => Retry(() => JackNative.Connect(_client, $"{Name}:midi_out", $"{engineClient}:midi_in"));

    /// <summary>As a recorder: the engine's outputs to our inputs. (A piano that also recorded would close a loop in the graph, and JACK would delay one side by a cycle.)</summary>
    public void RecordFrom(string engineClient)
    {
        Retry(() => JackNative.Connect(_client, $"{engineClient}:out_left", $"{Name}:in_left"));
        Retry(() => JackNative.Connect(_client, $"{engineClient}:out_right", $"{Name}:in_right"));
    }

    /// <summary>The engine registers its ports, then warms up and activates: connecting succeeds once it is active.</summary>
    private static void Retry(Func<int> connect)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int r;
        while ((r = connect()) != 0 && r != 17 /* EEXIST */)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20)) throw new InvalidOperationException($"jack_connect failed ({r})");
            Thread.Sleep(50);
        }
    }

    public bool HasPort(string port) => JackNative.Ports(_client, System.Text.RegularExpressions.Regex.Escape(port), JackNative.MidiType, 0).Count > 0;

    /// <summary>
    /// Xruns the server reported since this client started: a cycle a client missed. JACK does not
    /// deliver the MIDI a client wrote in such a cycle to a client that missed it, so a set with
    /// xruns may lose a message on its way to the engine (seen only on a loaded machine).
    /// </summary>
    public int Xruns => Volatile.Read(ref _xruns);
    private int _xruns;

    [UnmanagedCallersOnly]
    private static int OnXrun(nint arg)
    {
        Interlocked.Increment(ref ((JackTestClient)GCHandle.FromIntPtr(arg).Target!)._xruns);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int OnProcess(uint frames, nint arg)
    {
        var self = (JackTestClient)GCHandle.FromIntPtr(arg).Target!;
        self.Process(frames);
        return 0;
    }

    private void Process(uint frames)
    {
        uint start = JackNative.jack_last_frame_time(_client);
        long cycle = Interlocked.Increment(ref CyclesSeen) - 1;
        if (cycle < CycleStarts.Length) CycleStarts[cycle] = start;
        void* midi = JackNative.jack_port_get_buffer(_midiOut, frames);
        JackNative.jack_midi_clear_buffer(midi);
        byte* data = stackalloc byte[3];
        var schedule = Volatile.Read(ref _schedule);
        int next = _next;
        while (next < schedule.Length && schedule[next].Frame < start + frames)
        {
            var e = schedule[next];
            uint offset = e.Frame >= start ? e.Frame - start : 0; // a late event goes out at once
            data[0] = e.S; data[1] = e.D1; data[2] = e.D2;
            JackNative.jack_midi_event_write(midi, offset, data, 3);
            next++;
        }
        Volatile.Write(ref _next, next);

        float* l = (float*)JackNative.jack_port_get_buffer(_inLeft, frames);
        float* r = (float*)JackNative.jack_port_get_buffer(_inRight, frames);
        uint from = Volatile.Read(ref _recordFrom);
        float[] left = _left, right = _right;
        byte[] writes = _writes;
        for (uint i = 0; i < frames; i++)
        {
            long at = (long)(start + i) - from;
            if (at < 0 || at >= left.Length || at >= right.Length) continue;
            left[at] = l[i];
            right[at] = r[i];
            if (at < writes.Length && writes[at] < 255) writes[at]++;
        }
    }

    public void Dispose()
    {
        JackNative.jack_deactivate(_client);
        JackNative.jack_client_close(_client);
        if (_self.IsAllocated) _self.Free();
    }
}
