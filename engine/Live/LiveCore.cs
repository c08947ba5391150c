using System.Diagnostics;
using Losses.Engine.Audio;
using Losses.Engine.Midi;
using Losses.Engine.Osc;

namespace Losses.Engine.Live;

/// <summary>
/// An incoming MIDI message stamped with the engine's sample clock, for the recording; or, with
/// status 0 (<see cref="IsRestart"/>), the mark of <see cref="LiveCore.Restart"/>: the piece began again at SampleTime.
/// </summary>
public readonly record struct RecordedMidi(long SampleTime, byte Status, byte Data1, byte Data2)
{
    public bool IsRestart => Status == 0;
}

/// <summary>
/// What every live backend does once per audio cycle around the one processor: apply the
/// performer's console commands, stamp incoming MIDI for the recording, time the callback.
/// Runs on the audio thread: nothing here allocates, locks, logs or throws.
/// </summary>
public sealed class LiveCore : IPerformanceRequests
{
    public const int MaxEventsPerCycle = 1024;
    private readonly MidiEvent[] _events = new MidiEvent[MaxEventsPerCycle + 40]; // + the most a cycle's commands inject (1 + 6 + 6 + 20)
    private int _nextParts, _panic; // console/OSC presses since the last cycle: every one acts
    private int _partRequest, _newTargetRequest;
    private int _eventCount;
    private TimedMidiEvent[] _play = [];
    private int _playNext;
    private readonly bool _recording;

    /// <param name="recording">Whether incoming MIDI is queued for a recorder (1 MB of queue), which then must drain it; without, the queue stays empty.</param>
    public LiveCore(LossesProcessor processor, bool recording = true)
    {
        Processor = processor;
        _recording = recording;
        Recording = new SpscQueue<RecordedMidi>(recording ? 1 << 16 : 2);
    }

    public LossesProcessor Processor { get; }
    public SpscQueue<RecordedMidi> Recording { get; }
    public DspMeter Meter { get; } = new();
    public long Cycles { get; private set; }
    public long MidiEventsIn { get; private set; }
    /// <summary>Set when the processor threw (a bug): the cycle is silent and the session should end.</summary>
    public bool Faulted { get; private set; }

    /// <summary>
    /// `--play FILE.mid`: a performance fed in at its own sample times on the engine's clock (its
    /// sample 0 is the first cycle's), merged with the MIDI that arrives live. Preallocated: the
    /// audio thread only walks it.
    /// </summary>
    public TimedMidiEvent[] Play { get => _play; init => _play = value; }

    /// <summary>Events of <see cref="Play"/> handed to the processor so far.</summary>
    public int Played => Volatile.Read(ref _playNext);

    /// <summary>Console or OSC: one part on at the start of the next cycle (as a soft-pedal press would); presses within one cycle add up.</summary>
    public void RequestNextPart() => Interlocked.Increment(ref _nextParts);

    /// <summary>Console or OSC: all notes off at the start of the next cycle (with any part presses of that cycle after it).</summary>
    public void RequestPanic() => Volatile.Write(ref _panic, 1);

    /// <summary>Remote (OSC): go to this part (1..4) at the next cycle, by as many part-pedal presses as it takes.</summary>
    public void RequestPart(int part)
    {
        if (part is >= 1 and <= 4) Volatile.Write(ref _partRequest, part);
    }

    /// <summary>Remote (OSC): draw a new target for the current part at the next cycle.</summary>
    public void RequestNewTarget() => Volatile.Write(ref _newTargetRequest, 1);

    /// <summary>
    /// Audio thread, between cycles: the piece from the top at <paramref name="sample"/> of the clock
    /// (<see cref="LossesProcessor.Restart"/>, with <paramref name="seed"/> if given); the recording gets the mark. Messages already collected
    /// for the next cycle stay: they play after it. A faulted processor stays silent.
    /// </summary>
    public void Restart(long sample, ulong? seed = null)
    {
        if (Faulted) return;
        Processor.Restart(sample, seed);
        if (_recording) Recording.TryEnqueue(new RecordedMidi(sample, 0, 0, 0));
    }

    /// <summary>Audio thread: collects one incoming message for this cycle (channel messages only).</summary>
    public void AddEvent(int offset, byte status, byte data1, byte data2)
    {
        if (status < 0x80 || status >= 0xF0 || _eventCount >= MaxEventsPerCycle) return;
        _events[_eventCount++] = new MidiEvent(offset, status, data1, data2);
    }

    /// <summary>Audio thread: renders one cycle with the events collected since the last.</summary>
    public void Cycle(Span<float> left, Span<float> right, double periodSeconds)
    {
        long start = Stopwatch.GetTimestamp();
        int nextParts = Interlocked.Exchange(ref _nextParts, 0) % 4; // four presses come back to the same part
        bool panic = Interlocked.Exchange(ref _panic, 0) != 0;
        int part = Interlocked.Exchange(ref _partRequest, 0);
        bool newTarget = Interlocked.Exchange(ref _newTargetRequest, 0) != 0;
        // Each goes in front of what is there: injected in reverse, they act as panic, next part, part, new target.
        int current = (Processor.Piece.Part - 1 + nextParts) % 4 + 1;
        if (newTarget) InjectNewTarget(part != 0 ? part : current);
        if (part != 0) InjectPartPresses((part - current + 4) % 4);
        if (nextParts != 0) InjectPartPresses(nextParts);
        if (panic) InjectFront([MidiEvent.Control(0, 123, 0)]);
        if (_playNext < _play.Length) MergePlayed(Processor.SampleTime, left.Length);

        Span<MidiEvent> events = _events.AsSpan(0, _eventCount);
        long clock = Processor.SampleTime;
        if (_recording)
            foreach (ref readonly MidiEvent e in events)
                Recording.TryEnqueue(new RecordedMidi(clock + e.Offset, e.Status, e.Data1, e.Data2));
        MidiEventsIn += events.Length;
        try
        {
            if (!Faulted) Processor.Process(left, right, events);
            else { left.Clear(); right.Clear(); }
        }
        catch (Exception)
        {
            Faulted = true; // never let an exception unwind into the audio driver
            left.Clear();
            right.Clear();
        }
        _eventCount = 0;
        Cycles++;
        Meter.Record(start, Stopwatch.GetTimestamp(), periodSeconds);
    }

    /// <summary>
    /// Inserts the file's events due in this cycle among the live ones, in offset order (at equal
    /// offsets after them); what does not fit waits for the next cycle.
    /// </summary>
    private void MergePlayed(long clock, int frames)
    {
        int next = _playNext;
        while (next < _play.Length && _play[next].SampleTime < clock + frames && _eventCount < MaxEventsPerCycle)
        {
            TimedMidiEvent e = _play[next++];
            int offset = (int)Math.Max(0, e.SampleTime - clock);
            int at = _eventCount;
            while (at > 0 && _events[at - 1].Offset > offset) { _events[at] = _events[at - 1]; at--; }
            _events[at] = e.At(offset);
            _eventCount++;
        }
        Volatile.Write(ref _playNext, next);
    }

    /// <summary>Part-pedal presses at offset 0, before this cycle's own events (the recording replays them).</summary>
    private void InjectPartPresses(int presses)
    {
        int pedal = Processor.Config.Piece.PartPedalController;
        Span<MidiEvent> front = stackalloc MidiEvent[6];
        for (int i = 0; i < presses; i++)
        {
            front[2 * i] = MidiEvent.Control(0, pedal, 127);
            front[2 * i + 1] = MidiEvent.Control(0, pedal, 0);
        }
        InjectFront(front[..(2 * presses)]);
    }

    /// <summary>
    /// A new target is what the piece draws for a bass press (cubic parts) or a left-hand chord (knot
    /// parts): those keys pressed and released at once at offset 0 with velocity 1 — silent, below a
    /// piano's range (notes 0, 1, …), and in the recording like any other press.
    /// </summary>
    private void InjectNewTarget(int part)
    {
        var piece = Processor.Config.Piece;
        bool knotPart = part is 2 or 3;
        int keys = knotPart ? Math.Clamp(piece.ChordMinNotes, 1, 10) : 1;
        Span<MidiEvent> front = stackalloc MidiEvent[20];
        for (int i = 0; i < keys; i++)
        {
            front[i] = MidiEvent.NoteOn(0, i, 1);
            front[keys + i] = MidiEvent.NoteOff(0, i);
        }
        InjectFront(front[..(2 * keys)]);
    }

    private void InjectFront(ReadOnlySpan<MidiEvent> front)
    {
        int n = _eventCount;
        for (int i = n - 1; i >= 0; i--) _events[i + front.Length] = _events[i];
        front.CopyTo(_events);
        _eventCount = n + front.Length;
    }
}
