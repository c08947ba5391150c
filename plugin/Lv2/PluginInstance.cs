using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Live;
using Losses.Protocol;

namespace Losses.Plugin.Lv2;

/// <summary>The plugin's ports, in the order of bundle/losses.ttl (lv2:index).</summary>
internal enum Port : uint
{
    MidiIn, OutLeft, OutRight, Part, Seed, GainDb, Ring, NewTarget, Panic, Loss, CurrentPart, AllocatedBytes, Count,
}

/// <summary>
/// One LV2 instance around the engine's one processor, driven through <see cref="LiveCore"/> as
/// the JACK and ASIO backends drive it. <see cref="Activate"/> allocates (processor, ring);
/// <see cref="Run"/> never allocates, locks, logs, throws or does I/O, and counts what the
/// audio thread allocated inside it onto the AllocatedBytes output so hosts and tests can see it.
/// </summary>
internal sealed unsafe class PluginInstance(int sampleRate, uint midiEventType)
{
    /// <summary>The ring control's 1: readers follow the plugin with `--ring losses-plugin`.</summary>
    public const string DefaultRing = "losses-plugin";

    private readonly void*[] _ports = new void*[(int)Port.Count];
    private LiveCore? _core;
    private HeardMidi? _heard;
    private FrameRingWriter? _ring;
    private float _part, _gainDb, _newTarget, _panic;
    private long _allocated;
    private object? _testGarbage;
    // Tests only: proves the AllocatedBytes meter sees an allocation in run() (a meter that cannot fail proves nothing).
    private bool _allocateInRun;

    public int SampleRate { get; } = sampleRate;

    public void Connect(uint port, void* data)
    {
        if (port < (uint)Port.Count) _ports[port] = data;
    }

    private float Control(Port port, float fallback)
    {
        var p = (float*)_ports[(int)port];
        return p is null ? fallback : *p;
    }

    private void Output(Port port, float value)
    {
        var p = (float*)_ports[(int)port];
        if (p is not null) *p = value;
    }

    /// <summary>Ring control: 0 none, 1 `losses-plugin`, N `losses-plugin-N` (one per instance: a ring has one writer).</summary>
    public static string? RingName(float control)
    {
        int n = (int)MathF.Round(control);
        return n <= 0 ? null : n == 1 ? DefaultRing : $"{DefaultRing}-{n}";
    }

    /// <summary>The piece from the top with this seed and gain: everything the audio thread uses is allocated here.</summary>
    public void Activate()
    {
        Deactivate();
        ulong seed = (ulong)Math.Max(0, MathF.Round(Control(Port.Seed, 1)));
        _gainDb = Math.Clamp(Control(Port.GainDb, EngineConfig.Default.Master.GainDb), -60f, 12f);
        EngineConfig config = EngineConfig.Default with { Master = EngineConfig.Default.Master with { GainDb = _gainDb } };
        var processor = new LossesProcessor(config, seed);
        processor.Prepare(SampleRate, 4096);
        string? ring = RingName(Control(Port.Ring, 1));
        if (ring is not null)
        {
            try
            {
                _ring = FrameRingWriter.Create(ring);
                processor.FrameSink = _ring;
            }
            catch (Exception e) when (e is RingException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"losses: plugin: no frames for the visualiser: {e.Message} (in a host: give each instance its own \"Frame ring\" number)");
            }
        }
        _part = Control(Port.Part, 1);
        _newTarget = Control(Port.NewTarget, 0);
        _panic = Control(Port.Panic, 0);
        _allocated = 0;
        _allocateInRun = Environment.GetEnvironmentVariable("LOSSES_PLUGIN_TEST_ALLOCATE") == "1";
        _core = new LiveCore(processor);
        string? midiLog = Environment.GetEnvironmentVariable("LOSSES_PLUGIN_MIDI_LOG");
        if (!string.IsNullOrEmpty(midiLog)) _heard = new HeardMidi(midiLog, _core, SampleRate);
    }

    public void Deactivate()
    {
        _core = null;
        HeardMidi? heard = _heard;
        _heard = null;
        try { heard?.Finish(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"losses: plugin: cannot write LOSSES_PLUGIN_MIDI_LOG: {e.Message}");
        }
        _ring?.Dispose();
        _ring = null;
    }

    public void Run(uint frames)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sequence = (Lv2Atom*)_ports[(int)Port.MidiIn];
        if (sequence is not null && _core is not null) ReadMidi(_core, sequence, (int)frames);
        Render((float*)_ports[(int)Port.OutLeft], (float*)_ports[(int)Port.OutRight], (int)frames, before);
    }

    /// <summary>A message for the next <see cref="Render"/>, at its frame in that block (other plugin formats' events).</summary>
    public void AddMidi(int offset, byte status, byte data1, byte data2) => _core?.AddEvent(offset, status, data1, data2);

    /// <summary>
    /// One block: the controls, the messages added since the last block, the audio, the output
    /// controls. <paramref name="allocatedBefore"/>: the thread's allocation count when the host's call began.
    /// </summary>
    public void Render(float* left, float* right, int n, long allocatedBefore)
    {
        LiveCore? core = _core;
        if (core is null || left is null || right is null) return;

        // Controls act when they change, as a performer's button or knob would.
        float part = Control(Port.Part, _part);
        if (part != _part) core.RequestPart((int)MathF.Round(part));
        _part = part;
        float newTarget = Control(Port.NewTarget, 0);
        if (newTarget >= 0.5f && _newTarget < 0.5f) core.RequestNewTarget();
        _newTarget = newTarget;
        float panic = Control(Port.Panic, 0);
        if (panic >= 0.5f && _panic < 0.5f) core.RequestPanic();
        _panic = panic;
        float gainDb = Control(Port.GainDb, _gainDb);
        if (gainDb != _gainDb) core.Processor.SetMasterGain(gainDb);
        _gainDb = gainDb;

        core.Cycle(new Span<float>(left, n), new Span<float>(right, n), (double)n / SampleRate);
        _ring?.Heartbeat();
        if (_allocateInRun) _testGarbage = new byte[40];

        Output(Port.Loss, core.Processor.Piece.Loss);
        Output(Port.CurrentPart, core.Processor.Piece.Part);
        _allocated += GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        Output(Port.AllocatedBytes, _allocated);
    }

    /// <summary>Hands the cycle's MIDI events to the core at their frames (an atom:Sequence of midi:MidiEvent).</summary>
    private void ReadMidi(LiveCore core, Lv2Atom* sequence, int frames)
    {
        // The sequence body: unit and pad (8 bytes), then 8-byte-aligned events up to the body's size.
        byte* body = (byte*)(sequence + 1);
        byte* end = body + sequence->Size;
        for (byte* at = body + 8; at + sizeof(Lv2AtomEvent) <= end;)
        {
            var e = (Lv2AtomEvent*)at;
            byte* data = at + sizeof(Lv2AtomEvent);
            if (e->Body.Type == midiEventType && e->Body.Size >= 1 && data + e->Body.Size <= end)
            {
                int offset = (int)Math.Clamp(e->Frames, 0, Math.Max(frames - 1, 0));
                byte d1 = e->Body.Size > 1 ? data[1] : (byte)0;
                byte d2 = e->Body.Size > 2 ? data[2] : (byte)0;
                core.AddEvent(offset, data[0], d1, d2);
            }
            at += (sizeof(Lv2AtomEvent) + e->Body.Size + 7) & ~7;
        }
    }
}
