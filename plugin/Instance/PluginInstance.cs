using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Live;
using Losses.Engine.PluginState;
using Losses.Protocol;

namespace Losses.Plugin.Instance;

/// <summary>The plugin's ports, in the order of bundle/losses.ttl (lv2:index).</summary>
internal enum Port : uint
{
    MidiIn, OutLeft, OutRight, Part, Seed, GainDb, Ring, NewTarget, Panic, Loss, CurrentPart, AllocatedBytes, Count,
}

/// <summary>
/// One instance of the instrument around the engine's one processor, whatever the format (LV2 runs it as Lv2Instance, CLAP as it is), driven through <see cref="LiveCore"/> as
/// the JACK and ASIO backends drive it. <see cref="Activate"/> and <see cref="Restore"/> allocate
/// (processor, ring); a block (<see cref="BeginBlock"/> … <see cref="EndBlock"/>) never allocates, locks, logs, throws or does I/O, and counts
/// what the audio thread allocated inside it onto the AllocatedBytes output so hosts and tests can see it.
/// </summary>
internal unsafe class PluginInstance(int sampleRate)
{
    /// <summary>The ring control's 1: readers follow the plugin with `--ring losses-plugin`.</summary>
    public const string DefaultRing = "losses-plugin";

    /// <summary>
    /// What one activation plays: a prepared core, its ring and the config's own gain. Made off the
    /// audio thread; <see cref="StartBlock"/> swaps a restored one in between blocks.
    /// </summary>
    private sealed class Performance
    {
        public required LiveCore Core { get; init; }
        public required string? RingName { get; init; }
        public required float ConfigGainDb { get; init; }
        public required PluginSettings Settings { get; init; }
        public FrameRingWriter? Ring;
        /// <summary>The ring was made for this performance (another name than the one it replaces).</summary>
        public bool OwnsRing;
        /// <summary>Set when swapped out for one that does not go on with its ring: the ring, for a non-audio call to close.</summary>
        public FrameRingWriter? RingToClose;
        /// <summary>The retired performances before this one (a chain built on the audio thread without allocating).</summary>
        public Performance? Previous;
        /// <summary>What played when this one was prepared: what plays still if this one is taken back untaken.</summary>
        public Performance? Basis;
    }

    private readonly void*[] _ports = new void*[(int)Port.Count];
    private Performance? _now;      // the audio thread's, between Activate and Deactivate
    private Performance? _pending;  // a restored state, prepared, waiting for the next block
    private Performance? _retired;  // swapped out by the audio thread: their replaced rings await closing
    private Performance? _latest;   // the last one activated or restored: what plays once the audio thread has swapped (non-audio threads only)
    private PluginSettings _settings = PluginSettings.Default;
    private HeardMidi? _heard;
    private float _part, _gainDb, _newTarget, _panic;
    private long _allocated;
    private object? _testGarbage;
    // The host's timeline (the audio thread's): whether it rolls, and where the next sample falls on it.
    private bool _rolling;
    private double _timeline;
    private float _speed;
    // The block in progress (between BeginBlock and EndBlock): its outputs, length, and how much is rendered.
    private float* _left, _right;
    private int _blockLength, _rendered;
    private long _allocatedBefore;
    // Tests only: proves the AllocatedBytes meter sees an allocation in run() (a meter that cannot fail proves nothing).
    private bool _allocateInRun;

    public int SampleRate { get; } = sampleRate;
    /// <summary>What a port is connected to (a format's run reads its own ports through this).</summary>
    protected void* PortData(Port port) => _ports[(int)port];

    /// <summary>Whether a performance plays (between activation and deactivation).</summary>
    protected bool Playing => _now is not null;

    /// <summary>The transport's speed while it rolls, 0 while stopped: what a position without a speed keeps.</summary>
    protected float RollingSpeed => _rolling ? _speed : 0f;

    /// <summary>The config and ring name the instance plays (or will, from the next block): what a host's save stores.</summary>
    public PluginSettings Settings => Volatile.Read(ref _settings);

    /// <summary>A host's save (not the audio thread): the settings, and a moment to close the rings restores left.</summary>
    public PluginSettings Save()
    {
        CloseRetired();
        return Settings;
    }

    /// <summary>The core the audio thread plays now (the MIDI log follows it).</summary>
    public LiveCore? Core => Volatile.Read(ref _now)?.Core;

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

    /// <summary>The piece from the top with the settings, the seed and the gain: everything the audio thread uses is allocated here.</summary>
    public void Activate()
    {
        Deactivate();
        _part = Control(Port.Part, 1);
        _gainDb = Control(Port.GainDb, 0);
        _newTarget = Control(Port.NewTarget, 0);
        _panic = Control(Port.Panic, 0);
        _allocated = 0;
        _rolling = false;
        _timeline = 0;
        _speed = 0;
        _allocateInRun = Environment.GetEnvironmentVariable("LOSSES_PLUGIN_TEST_ALLOCATE") == "1";
        string? midiLog = Environment.GetEnvironmentVariable("LOSSES_PLUGIN_MIDI_LOG");
        _latest = Prepare(_settings, current: null, recording: !string.IsNullOrEmpty(midiLog));
        Volatile.Write(ref _now, _latest);
        if (!string.IsNullOrEmpty(midiLog)) _heard = new HeardMidi(midiLog, this, SampleRate);
    }

    /// <summary>
    /// A restored state (not the audio thread). Inactive: played from the next activation. Active:
    /// a new performance (the piece from the top with the new config, the same seed, gain and — when
    /// its name is unchanged — ring) is prepared here and swapped in at the start of the next block,
    /// as a deactivate/activate between two blocks would do. Throws, keeping the current one, when
    /// it cannot be prepared.
    /// </summary>
    public void Restore(PluginSettings settings)
    {
        // Nothing pending from here, so no new swap: what plays is the one taken back's basis, or
        // the last one prepared (which the audio thread may be swapping in at this very moment).
        Performance? untaken = Interlocked.Exchange(ref _pending, null);
        Performance? current = untaken is not null ? untaken.Basis : _latest;
        if (untaken is not null)
        {
            // It never played: should this one fail, the instance plays, and saves, what it played before.
            if (untaken.OwnsRing) untaken.Ring?.Dispose();
            _latest = current;
            if (current is not null) Volatile.Write(ref _settings, current.Settings);
        }
        CloseRetired();
        if (current is not null)
        {
            Performance next = Prepare(settings, current, recording: _heard is not null);
            _latest = next;
            Volatile.Write(ref _pending, next);
        }
        Volatile.Write(ref _settings, settings);
    }

    /// <summary>The seed control: read where the piece starts (activation, a restored state, the transport starting or jumping).</summary>
    private ulong SeedControl => (ulong)Math.Max(0, MathF.Round(Control(Port.Seed, 1)));

    private Performance Prepare(PluginSettings settings, Performance? current, bool recording)
    {
        ulong seed = SeedControl;
        float configGainDb = settings.Config.Master.GainDb;
        EngineConfig config = settings.Config with
        {
            Master = settings.Config.Master with { GainDb = Math.Clamp(configGainDb + Control(Port.GainDb, 0), -60f, 12f) },
        };
        var processor = new LossesProcessor(config, seed);
        processor.Prepare(SampleRate, 4096);
        string? ringName = settings.RingName ?? RingName(Control(Port.Ring, 1));
        var performance = new Performance { Core = new LiveCore(processor, recording), RingName = ringName, ConfigGainDb = configGainDb, Settings = settings, Basis = current };
        if (current is not null && current.RingName == ringName)
            performance.Ring = current.Ring; // the same ring goes on: a ring has one writer
        else if (ringName is not null)
        {
            try
            {
                performance.Ring = FrameRingWriter.Create(ringName);
                performance.OwnsRing = true;
            }
            catch (Exception e) when (e is RingException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"losses: plugin: no frames for the visualiser: {e.Message} (in a host: give each instance its own \"Frame ring\" number)");
            }
        }
        processor.FrameSink = performance.Ring;
        return performance;
    }

    /// <summary>Closes the rings the audio thread stopped writing (not the audio thread).</summary>
    private void CloseRetired()
    {
        for (Performance? p = Interlocked.Exchange(ref _retired, null); p is not null; p = p.Previous)
        {
            p.RingToClose?.Dispose();
            p.RingToClose = null;
        }
    }

    public void Deactivate()
    {
        Performance? untaken = Interlocked.Exchange(ref _pending, null);
        if (untaken is { OwnsRing: true }) untaken.Ring?.Dispose();
        CloseRetired();
        Performance? now = Interlocked.Exchange(ref _now, null);
        _latest = null;
        HeardMidi? heard = _heard;
        _heard = null;
        heard?.Finish();
        now?.Ring?.Dispose();
    }

    /// <summary>
    /// Audio thread, before the block's events: a restored performance takes over here, between
    /// blocks. Allocates nothing: the one it replaces joins a chain the next non-audio call closes.
    /// </summary>
    public void StartBlock()
    {
        if (Volatile.Read(ref _pending) is null) return;
        Performance? next = Interlocked.Exchange(ref _pending, null);
        if (next is null) return;
        next.Basis = null; // taken: no one looks back from it any more, and the old ones may go
        Performance? now = _now;
        if (now is not null)
        {
            now.RingToClose = next.Ring != now.Ring ? now.Ring : null;
            Performance? head;
            do
            {
                head = Volatile.Read(ref _retired);
                now.Previous = head;
            } while (Interlocked.CompareExchange(ref _retired, now, head) != head);
        }
        Volatile.Write(ref _now, next);
        _gainDb = float.NaN; // the gain control as it is now, over the new config's gain, from the first sample
        if (_rolling) next.Core.Restart(TimelineSample, SeedControl); // while the transport rolls, the new piece starts where the timeline is
    }

    /// <summary>The timeline's sample as a clock position (a position before zero starts the piece at 0).</summary>
    private long TimelineSample => Math.Max(0, (long)Math.Round(_timeline));

    /// <summary>
    /// Audio thread: a block begins (a restored performance is swapped in, the controls act).
    /// <paramref name="allocatedBefore"/>: the thread's allocation count when the host's call began.
    /// Then <see cref="AddMidi"/> and <see cref="Transport"/> in time order, then <see cref="EndBlock"/>.
    /// </summary>
    public void BeginBlock(float* left, float* right, int n, long allocatedBefore)
    {
        StartBlock();
        _left = left;
        _right = right;
        _blockLength = n;
        _rendered = 0;
        _allocatedBefore = allocatedBefore;
        Performance? now = _now;
        if (now is null) return;
        LiveCore core = now.Core;

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
        if (gainDb != _gainDb) core.Processor.SetMasterGain(now.ConfigGainDb + gainDb);
        _gainDb = gainDb;
    }

    /// <summary>A message at its frame in the block, not before the last <see cref="Transport"/> (one at that transport's very frame plays after it).</summary>
    public void AddMidi(int offset, byte status, byte data1, byte data2) => _now?.Core.AddEvent(Math.Max(0, offset - _rendered), status, data1, data2);

    /// <summary>
    /// The host's transport at <paramref name="offset"/> in the block: where its timeline is there
    /// (<paramref name="position"/> in samples, null: where it was going anyway) and whether it rolls.
    /// The block is rendered up to there first. When the transport starts rolling, or jumps while it
    /// rolls (a locate, a loop going round), the piece starts again from the top at the timeline's
    /// position (<see cref="LiveCore.Restart"/>): so a bounce from position P plays as
    /// `./losses render` of the same MIDI with nothing before P. Stopped, the piece plays on for
    /// live input, on its own clock.
    /// </summary>
    public void Transport(int offset, double? position, float speed)
    {
        Performance? now = _now;
        if (now is null) return;
        RenderTo(Math.Clamp(offset, _rendered, _blockLength));
        bool rolling = speed > 0f;
        double at = position ?? _timeline;
        // A rolling host sends its position where it is not where its last speed would have brought it
        // (at a varispeed other than 1 the host's rounding may differ from ours by a sample).
        bool jump = !_rolling || Math.Abs(at - _timeline) > (_speed == 1f ? 0.5 : 1.5);
        _rolling = rolling;
        _timeline = at;
        _speed = speed;
        if (rolling && jump) now.Core.Restart(TimelineSample, SeedControl);
    }

    /// <summary>Renders the block up to <paramref name="end"/> (the messages added so far go with it).</summary>
    private void RenderTo(int end)
    {
        int n = end - _rendered;
        if (n <= 0) return;
        Performance now = _now!;
        if (_left is not null && _right is not null)
            now.Core.Cycle(new Span<float>(_left + _rendered, n), new Span<float>(_right + _rendered, n), (double)n / SampleRate);
        if (_rolling) _timeline += n * (double)_speed;
        _rendered = end;
    }

    /// <summary>The rest of the block (a zero-length one still delivers its messages), then the output controls.</summary>
    public void EndBlock()
    {
        Performance? now = _now;
        if (now is null || _left is null || _right is null) return;
        LiveCore core = now.Core;
        int n = _blockLength - _rendered;
        if (n > 0 || _rendered == 0)
        {
            core.Cycle(new Span<float>(_left + _rendered, n), new Span<float>(_right + _rendered, n), (double)n / SampleRate);
            if (_rolling) _timeline += n * (double)_speed;
            _rendered = _blockLength;
        }
        now.Ring?.Heartbeat();
        if (_allocateInRun) _testGarbage = new byte[40];

        Output(Port.Loss, core.Processor.Piece.Loss);
        Output(Port.CurrentPart, core.Processor.Piece.Part);
        _allocated += GC.GetAllocatedBytesForCurrentThread() - _allocatedBefore;
        Output(Port.AllocatedBytes, _allocated);
    }
}
