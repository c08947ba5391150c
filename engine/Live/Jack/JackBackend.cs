using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Losses.Engine.Live;

namespace Losses.Engine.Live.Jack;

/// <summary>
/// JACK (Linux): stereo audio out and a MIDI in port whose events reach the processor at their
/// exact frame offsets in the same cycle. Sample rate and buffer size come from the server; the
/// server's xruns and shutdown are reported. The process callback is an unmanaged-callers-only
/// function: no delegate for the GC to move, nothing allocated per cycle.
/// </summary>
public sealed unsafe class JackBackend : ILiveBackend
{
    private readonly nint _client;
    private readonly nint _outLeft, _outRight, _midiIn;
    private readonly LiveCore _core;
    private GCHandle _self;
    private long _xruns;
    private long _graphOrders;
    private int _shutdown;
    private bool _active;
    private bool _closed;
    private long _frameTimeOfSample0;
    private readonly long[] _skipFrameTime = new long[256];
    private readonly long[] _skipLength = new long[256];
    private int _skips;
    private bool _seenFirstCycle; // audio thread only

    private JackBackend(nint client, LiveCore core)
    {
        _client = client;
        _core = core;
        ClientName = JackNative.String(JackNative.jack_get_client_name(client)) ?? "losses";
        SampleRate = (int)JackNative.jack_get_sample_rate(client);
        BufferSize = (int)JackNative.jack_get_buffer_size(client);
        _outLeft = JackNative.Register(client, "out_left", JackNative.AudioType, JackNative.PortIsOutput);
        _outRight = JackNative.Register(client, "out_right", JackNative.AudioType, JackNative.PortIsOutput);
        _midiIn = JackNative.Register(client, "midi_in", JackNative.MidiType, JackNative.PortIsInput);
        if (_outLeft == 0 || _outRight == 0 || _midiIn == 0)
            throw new AudioBackendException("JACK refused to register the engine's ports");
    }

    public string ClientName { get; }
    public string Description => $"JACK as '{ClientName}' at {SampleRate} Hz, {BufferSize} frames; MIDI in {MidiInName}";
    public string? Lost => ServerShutDown ? "the JACK server shut down" : null;
    public int SampleRate { get; }
    public int BufferSize { get; }
    public long Xruns => Interlocked.Read(ref _xruns);
    /// <summary>The JACK server went away.</summary>
    public bool ServerShutDown => Volatile.Read(ref _shutdown) != 0;
    /// <summary>The JACK frame time that corresponds to the engine's sample 0 (as of the latest cycle).</summary>
    public long FrameTimeOfSample0 => Interlocked.Read(ref _frameTimeOfSample0);
    /// <summary>Each slip of JACK's clock against the engine's: the cycle's frame time and the signed shift (the first 256).</summary>
    public (long FrameTime, long Frames)[] Skips()
    {
        int n = Volatile.Read(ref _skips);
        var list = new (long, long)[n];
        for (int i = 0; i < n; i++) list[i] = (_skipFrameTime[i], _skipLength[i]);
        return list;
    }
    public string OutLeftName => JackNative.String(JackNative.jack_port_name(_outLeft))!;
    public string OutRightName => JackNative.String(JackNative.jack_port_name(_outRight))!;
    public string MidiInName => JackNative.String(JackNative.jack_port_name(_midiIn))!;

    /// <summary>Connects to a running server (never starts one). The processor is prepared here, at the server's rate.</summary>
    public static JackBackend Open(string clientName, Func<int, int, LiveCore> prepare)
    {
        if (!JackNative.LibraryPresent())
            throw new AudioBackendException("libjack is not installed: install it with 'apt-get install jackd2'");
        JackNative.Quiet();
        nint client = JackNative.Open(clientName, out int status);
        if (client == 0)
            throw new AudioBackendException($"no JACK server is running (status 0x{status:x}): start one, e.g. 'jackd -d alsa -r 48000 -p 64' (or '-d dummy' to test)");
        try
        {
            int rate = (int)JackNative.jack_get_sample_rate(client);
            int buffer = (int)JackNative.jack_get_buffer_size(client);
            return new JackBackend(client, prepare(rate, buffer));
        }
        catch
        {
            JackNative.jack_client_close(client);
            throw;
        }
    }

    /// <summary>Activates the client; optionally connects to the system playback ports and to a MIDI source.</summary>
    public void Start(bool connectOutputs, string? midiSource)
    {
        // Everything that can fail is checked before activation: no JACK thread runs our code yet.
        string? source = null;
        if (midiSource is not null)
        {
            List<string> sources = MidiSources(_client);
            int found = DeviceMatch.Find(sources, midiSource);
            source = found >= 0 ? sources[found] : throw new AudioBackendException($"no JACK MIDI source matches '{midiSource}' (see: losses devices)");
        }

        _self = GCHandle.Alloc(this);
        nint arg = GCHandle.ToIntPtr(_self);
        JackNative.jack_set_process_callback(_client, &OnProcess, arg);
        JackNative.jack_set_xrun_callback(_client, &OnXrun, arg);
        JackNative.jack_on_shutdown(_client, &OnShutdown, arg);
        JackNative.jack_set_graph_order_callback(_client, &OnGraphOrder, arg);
        if (JackNative.jack_activate(_client) != 0) throw new AudioBackendException("JACK refused to activate the engine");
        _active = true;
        WarmNotificationThread();

        if (connectOutputs)
        {
            List<string> playback = JackNative.Ports(_client, null, JackNative.AudioType, JackNative.PortIsInput | JackNative.PortIsPhysical);
            if (playback.Count > 0) JackNative.Connect(_client, OutLeftName, playback[0]);
            if (playback.Count > 1) JackNative.Connect(_client, OutRightName, playback[1]);
        }
        if (source is not null && JackNative.Connect(_client, source, MidiInName) != 0)
            Console.Error.WriteLine($"losses: could not connect MIDI source '{source}'; connect it by hand (jack_connect) or check: losses devices");
    }

    /// <summary>JACK ports that send MIDI (a piano through a2jmidid, another client…).</summary>
    internal static List<string> MidiSources(nint client) => JackNative.Ports(client, null, JackNative.MidiType, JackNative.PortIsOutput);

    /// <summary>What a JACK server here offers, for `losses devices` (empty when none runs).</summary>
    public static (bool Running, int Rate, int Buffer, List<string> Playback, List<string> MidiSources) Describe()
    {
        if (!JackNative.LibraryPresent()) return (false, 0, 0, [], []);
        JackNative.Quiet();
        nint client = JackNative.Open("losses-devices", out _);
        if (client == 0) return (false, 0, 0, [], []);
        try
        {
            return (true, (int)JackNative.jack_get_sample_rate(client), (int)JackNative.jack_get_buffer_size(client),
                JackNative.Ports(client, null, JackNative.AudioType, JackNative.PortIsInput | JackNative.PortIsPhysical),
                MidiSources(client));
        }
        finally
        {
            JackNative.jack_client_close(client);
        }
    }

    [UnmanagedCallersOnly]
    private static int OnProcess(uint frames, nint arg)
    {
        var self = (JackBackend)GCHandle.FromIntPtr(arg).Target!;
        self.Process(frames);
        return 0;
    }

    private void Process(uint frames)
    {
        // JACK's frame time against the engine's sample clock: they move together unless JACK
        // skipped the engine for a cycle or more (the engine was late): each slip is kept for Skips().
        uint frameTime = JackNative.jack_last_frame_time(_client);
        long offset = (long)frameTime - _core.Processor.SampleTime;
        if (!_seenFirstCycle)
        {
            _seenFirstCycle = true;
        }
        else if (offset != _frameTimeOfSample0)
        {
            long skipped = offset - _frameTimeOfSample0; // signed: a late call is often followed by an early one
            if (_skips < _skipFrameTime.Length)
            {
                _skipFrameTime[_skips] = frameTime;
                _skipLength[_skips] = skipped;
                Volatile.Write(ref _skips, _skips + 1);
            }
        }
        Interlocked.Exchange(ref _frameTimeOfSample0, offset);
        void* midi = JackNative.jack_port_get_buffer(_midiIn, frames);
        uint count = JackNative.jack_midi_get_event_count(midi);
        JackNative.MidiEvent ev;
        for (uint i = 0; i < count; i++)
        {
            if (JackNative.jack_midi_event_get(&ev, midi, i) != 0 || ev.Size == 0 || ev.Size > 3) continue;
            byte status = ev.Buffer[0];
            byte d1 = ev.Size > 1 ? ev.Buffer[1] : (byte)0;
            byte d2 = ev.Size > 2 ? ev.Buffer[2] : (byte)0;
            _core.AddEvent((int)ev.Time, status, d1, d2);
        }
        var left = new Span<float>(JackNative.jack_port_get_buffer(_outLeft, frames), (int)frames);
        var right = new Span<float>(JackNative.jack_port_get_buffer(_outRight, frames), (int)frames);
        _core.Cycle(left, right, frames / (double)SampleRate);
    }

    /// <summary>
    /// JACK reports xruns on its notification thread, not the process thread. The first time a
    /// native thread enters managed code the runtime allocates that thread's managed object, so a
    /// first xrun after warm-up would allocate (the likely cause of 288 bytes once seen after
    /// warm-up on a loaded machine). Graph-order callbacks come on that same thread: a throwaway
    /// connection of our own makes JACK call us there now, while allocation is still allowed.
    /// </summary>
    private void WarmNotificationThread()
    {
        nint probe = JackNative.Register(_client, "warm_up", JackNative.AudioType, JackNative.PortIsInput);
        if (probe == 0) return;
        string probeName = JackNative.String(JackNative.jack_port_name(probe))!;
        if (JackNative.Connect(_client, OutLeftName, probeName) == 0)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (Volatile.Read(ref _graphOrders) == 0 && clock.ElapsedMilliseconds < 2000) Thread.Sleep(5);
            JackNative.Disconnect(_client, OutLeftName, probeName);
        }
        JackNative.jack_port_unregister(_client, probe);
    }

    /// <summary>Graph changes: counted, so the warm-up knows the notification thread has run managed code.</summary>
    [UnmanagedCallersOnly]
    private static int OnGraphOrder(nint arg)
    {
        var self = (JackBackend)GCHandle.FromIntPtr(arg).Target!;
        Interlocked.Increment(ref self._graphOrders);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static int OnXrun(nint arg)
    {
        var self = (JackBackend)GCHandle.FromIntPtr(arg).Target!;
        Interlocked.Increment(ref self._xruns);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static void OnShutdown(nint arg)
    {
        var self = (JackBackend)GCHandle.FromIntPtr(arg).Target!;
        Volatile.Write(ref self._shutdown, 1);
    }

    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        // Never from the audio thread: deactivate waits for the current cycle to finish.
        if (_active && !ServerShutDown) JackNative.jack_deactivate(_client);
        if (!ServerShutDown) JackNative.jack_client_close(_client);
        // After a server shutdown libjack's threads may still hold our handle: leave it (the process is ending).
        if (_self.IsAllocated && !ServerShutDown) _self.Free();
        _active = false;
    }
}
