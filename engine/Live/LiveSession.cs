using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Losses.Engine.Audio;
using Losses.Engine.Live.Jack;
using Losses.Engine.Config;
using Losses.Engine.Midi;
using Losses.Engine.Osc;
using Losses.Platform;
using Losses.Protocol;
using Losses.Protocol.Osc;

namespace Losses.Engine.Live;

/// <summary>
/// The live engine: a backend drives the processor; the main thread only watches — keys, the
/// status line, draining the MIDI recording — and a recorder thread copies the engine's own ring
/// into the frame log. After warm-up no thread of this process allocates (the summary prints the
/// process-wide allocated bytes and GC counts to prove it).
/// </summary>
public static class LiveSession
{
    private const int MaxBlock = 8192;
    private const string AsioOnlyOnWindows = "ASIO runs only on Windows: use --audio jack here";
    /// <summary>The main thread's poll: keys, status line, MIDI journal.</summary>
    private const int PollMs = 20;
    /// <summary>How many polls before a stop signal was seen its set's allocation measurement ends (0.2 s: the dispatch, warmed before the set, takes well under it).</summary>
    private const int SignalMarginPolls = 10;

    public static int Run(LiveOptions o)
    {
        if (o.Audio == AudioBackend.Asio && !OperatingSystem.IsWindows()) throw new AudioBackendException(AsioOnlyOnWindows);

        // The OSC port first: a port another program holds fails the set before anything is made.
        using OscReceiver? oscSocket = o.OscIn is { } oscIn ? OscControl.Listen(oscIn, o.OscSenders) : null;
        Recorder? recorder = o.RecordDir is null ? null : Recorder.Begin(o.RecordDir);
        using var ring = FrameRingWriter.Create(o.Ring);
        LossesProcessor? processor = null;
        LiveCore? core = null;
        ILiveBackend backend;
        LiveCore Prepare(int rate, int buffer)
        {
            TimedMidiEvent[] play = o.PlayFile is null ? [] : MidiPerformance.Load(o.PlayFile, rate).Events;
            WarmUp(o.Config, o.Seed, rate, buffer);
            processor = new LossesProcessor(o.Config, o.Seed);
            processor.Prepare(rate, MaxBlock);
            processor.FrameSink = ring;
            // `--bench-voices`: held from sample 0, sounding and detuning like played notes, spread over
            // the keyboard — started here, before the audio runs, so no benchmark code is on the audio thread.
            for (int i = 0; i < o.HoldVoices; i++) processor.Voices.NoteOn(24 + i * 7 % 84, 100, 0.01f * (i % 5));
            core = new LiveCore(processor) { Play = play };
            return core;
        }
        try
        {
            backend = o.Audio == AudioBackend.Asio ? OpenAsio(o, Prepare) : JackBackend.Open(o.ClientName, Prepare);
        }
        catch
        {
            recorder?.Abandon();
            throw;
        }

        using (backend)
        {
            recorder?.Start(o, o.Ring, backend.SampleRate, backend.BufferSize);
            // LOSSES_PRECOMPILE=0 leaves the compiling to the first callbacks, as before (for measuring what it saves).
            if (Environment.GetEnvironmentVariable("LOSSES_PRECOMPILE") != "0") Precompile.AudioPath(backend.GetType());
            backend.Start(o.ConnectOutputs, o.Midi);
            using OscControl? osc = oscSocket is null ? null : new OscControl(core!, oscSocket);
            Console.Error.WriteLine($"live on {backend.Description}; ring '{o.Ring}'{(o.RecordDir is null ? "" : $"; recording to {o.RecordDir}")}{(o.PlayFile is null ? "" : $"; playing {o.PlayFile}")}{(osc is null ? "" : $"; OSC commands on UDP {osc.Describe()}")}");
            bool interactive = !Console.IsInputRedirected && !Console.IsErrorRedirected;
            if (interactive) Console.Error.WriteLine("keys: [n] next part  [p] panic (all notes off)  [q] quit");

            var stop = new StopSignal();
            stop.WarmUpAndArm();
            var status = new StatusLine();
            using TerminalKeys? keys = interactive ? new TerminalKeys() : null;
            if (interactive) status.Warm(processor!, core!);
            long warmUpSample = (long)(o.WarmUpSeconds * backend.SampleRate);
            long endSample = o.DurationSeconds is double d ? (long)(d * backend.SampleRate) : long.MaxValue;
            (int G0, int G1, int G2, long Bytes, long Cycle)? baseline = null;
            string? ending = null;
            bool quit = false;
            // The process's allocation and collection counts at each of the last polls: a stop by signal
            // (SIGTERM, or SIGINT sent by kill) ends the measurement a few polls before it was seen, because
            // .NET's dispatch of the signal starts a thread (allocates) before the handler runs. Keys and
            // Ctrl-C on the terminal arrive as bytes and need no such margin.
            var polls = new (long Bytes, int G0, int G1, int G2)[SignalMarginPolls + 1];
            long pollCount = 0;
            var watch = new AllocationWatch();

            while (true)
            {
                Thread.Sleep(PollMs);
                recorder?.DrainMidi(core!.Recording);
                long now = processor!.SampleTime;
                if (baseline is null && now >= warmUpSample)
                {
                    watch.Prepare();
                    baseline = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalAllocatedBytes(true), core!.Cycles);
                    watch.Baseline(baseline.Value.Bytes, backend.Xruns);
                }
                if (baseline is not null)
                {
                    long bytes = GC.GetTotalAllocatedBytes(true);
                    polls[pollCount++ % polls.Length] = (bytes, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                    watch.Poll(bytes, now / (double)backend.SampleRate, backend.Xruns);
                }
                backend.Maintain();
                if (backend.Lost is string lost) { ending = lost; break; }
                if (ring.Fault is string fault) { ending = fault; break; }
                if (core!.Faulted) { ending = "the engine faulted (a bug): stopped"; break; }
                if (now >= endSample || stop.Requested || quit) break;
                if (keys is not null)
                {
                    for (TerminalKey key; (key = keys.Next()) != TerminalKey.None;)
                    {
                        if (key == TerminalKey.NextPart) core.RequestNextPart();
                        else if (key == TerminalKey.Panic) core.RequestPanic();
                        else quit = true;
                    }
                    status.Show(processor, core, backend.Xruns, ring.Position);
                }
            }
            // Measured before anything of the shutdown allocates; for a signal, SignalMarginPolls polls before it was seen.
            bool bySignal = stop.Requested && !quit;
            (long Bytes, int G0, int G1, int G2) end = bySignal && pollCount > SignalMarginPolls
                ? polls[(pollCount - 1 - SignalMarginPolls) % polls.Length]
                : (GC.GetTotalAllocatedBytes(true), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
            long allocated = baseline is { } b0 ? end.Bytes - b0.Bytes : -1;
            int[]? gcCounts = baseline is { } b1 ? [end.G0 - b1.G0, end.G1 - b1.G1, end.G2 - b1.G2] : null;
            string collections = gcCounts is not null ? $"{gcCounts[0]}/{gcCounts[1]}/{gcCounts[2]}" : "n/a (stopped before warm-up)";
            string measuredTo = bySignal && baseline is not null
                ? string.Create(CultureInfo.InvariantCulture, $" (to {SignalMarginPolls * PollMs / 1000.0:0.00} s before the stop signal: .NET's signal dispatch allocates; q or Ctrl-C on the terminal does not)")
                : "";
            keys?.Dispose(); // the terminal as it was, before the summary is printed
            if (interactive) status.Clear();
            (float median, float p99, float max, long cycles) = core!.Meter.Summary(baseline?.Cycle ?? 0);
            // The first callbacks, before the warm-up ends: where compiling or first touches of memory would show.
            long warmUpEnd = baseline?.Cycle ?? core.Cycles;
            (_, _, float warmUpMax, long warmUpCycles) = core.Meter.Summary(0, warmUpEnd);
            long warmUpOverruns = core.Meter.Overruns(warmUpEnd);

            osc?.Dispose();
            backend.Dispose();
            recorder?.DrainMidi(core.Recording);
            recorder?.Finish(o, backend.SampleRate, backend.BufferSize, backend.FrameTimeOfSample0, backend.Skips(), processor!.SampleTime, backend.Xruns);

            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine(string.Create(inv, $"live: {processor.SampleTime / (double)backend.SampleRate:0.00} s, {core.Cycles} cycles of {backend.BufferSize} at {backend.SampleRate} Hz, {backend.Xruns} xruns, {backend.Skips().Length} clock slips against the device (net {backend.Skips().Sum(k => k.Frames)} frames)"));
            Console.WriteLine(string.Create(inv, $"  dsp load (callback/period) after warm-up: median {median * 100:0.00}%, p99 {p99 * 100:0.00}%, max {max * 100:0.00}% over {cycles} cycles"));
            Console.WriteLine(string.Create(inv, $"  dsp load in warm-up: max {warmUpMax * 100:0.00}% over {warmUpCycles} cycles, {warmUpOverruns} longer than their period"));
            Console.WriteLine(string.Create(inv, $"  midi in {core.MidiEventsIn} events ({core.Recording.Dropped} dropped from the recording); frames published {ring.Position}; notes {processor.Piece.NoteOns}, steps {processor.Piece.GradientSteps}"));
            Console.WriteLine(string.Create(inv, $"  steady state since warm-up: gc collections {collections} (gen0/1/2), allocated bytes {allocated}{measuredTo}"));
            if (allocated != 0 && watch.Describe() is string first) Console.WriteLine(first);
            if (o.PlayFile is not null) Console.WriteLine(string.Create(inv, $"  played {core.Played} of {core.Play.Length} events of {o.PlayFile}"));
            if (osc is not null) Console.WriteLine(string.Create(inv, $"  osc in: {osc.Packets} packets, {osc.Commands} commands, {osc.Malformed} malformed, {osc.Oversized} oversized, {osc.Unknown} unknown, {osc.Refused} refused (sender not allowed), {osc.Limited} over the rate limit (dropped)"));
            if (recorder is not null) Console.WriteLine($"  recorded to {o.RecordDir}: {recorder.Summary}");
            if (o.SummaryJson is not null)
            {
                var summary = new LiveSummary
                {
                    Seconds = processor.SampleTime / (double)backend.SampleRate,
                    SampleRate = backend.SampleRate,
                    BufferSize = backend.BufferSize,
                    Cycles = core.Cycles,
                    Xruns = backend.Xruns,
                    ClockSlips = backend.Skips().Length,
                    ClockSlipFrames = backend.Skips().Sum(k => k.Frames),
                    DspMedian = median,
                    DspP99 = p99,
                    DspMax = max,
                    DspCycles = cycles,
                    WarmUpDspMax = warmUpMax,
                    WarmUpCycles = warmUpCycles,
                    WarmUpOverruns = warmUpOverruns,
                    MidiEvents = core.MidiEventsIn,
                    MidiDropped = core.Recording.Dropped,
                    Frames = ring.Position,
                    Notes = processor.Piece.NoteOns,
                    GradientSteps = processor.Piece.GradientSteps,
                    GcCollections = gcCounts,
                    AllocatedBytes = baseline is null ? null : allocated,
                    Played = o.PlayFile is null ? null : core.Played,
                    Ending = ending,
                };
                PendingFile.WriteAllText(o.SummaryJson, summary.ToJson());
            }
            if (ending is not null)
            {
                Console.Error.WriteLine($"losses: {ending}{(o.RecordDir is null ? "" : $"; the recording so far is in {o.RecordDir}")}");
                return 1;
            }
            return 0;
        }
    }

    private static ILiveBackend OpenAsio(LiveOptions o, Func<int, int, LiveCore> prepare)
    {
        if (!OperatingSystem.IsWindows()) throw new AudioBackendException(AsioOnlyOnWindows);
        return Asio.AsioBackend.Open(o.Driver, prepare);
    }

    /// <summary>
    /// Runs a throwaway processor through a busy few seconds before going live, so the JIT has
    /// compiled every path the audio thread takes: the first live cycles are then on time.
    /// </summary>
    private static void WarmUp(EngineConfig config, ulong seed, int sampleRate, int buffer)
    {
        var scratch = new LossesProcessor(config, seed);
        scratch.Prepare(sampleRate, MaxBlock);
        var left = new float[buffer];
        var right = new float[buffer];
        var events = new MidiEvent[3];
        int pedal = config.Piece.PartPedalController;
        for (int block = 0; block < 4000; block++)
        {
            int count = 0;
            if (block % 25 == 0) events[count++] = MidiEvent.NoteOn(0, 36 + block % 48, 90);
            if (block % 25 == 10) events[count++] = MidiEvent.NoteOn(buffer / 2, 40 + block % 17, 90);
            if (block % 25 == 11) events[count++] = MidiEvent.NoteOn(0, 44 + block % 13, 90);
            if (block % 25 == 20) events[count++] = MidiEvent.Control(0, 123, 0);
            if (block % 500 == 499) { events[count++] = MidiEvent.Control(0, pedal, 127); events[count++] = MidiEvent.Control(0, pedal, 0); }
            scratch.Process(left, right, events.AsSpan(0, count));
        }
        // The performer's requests (keys, OSC) through a core of their own: their paths are compiled
        // here, not at the first key press of the set (a method compiled mid-set was seen to allocate).
        var core = new LiveCore(scratch, recording: false);
        double period = (double)buffer / sampleRate;
        for (int i = 0; i < 64; i++)
        {
            if (i % 4 == 0) core.RequestNextPart();
            if (i % 4 == 1) core.RequestPanic();
            if (i % 8 == 2) core.RequestPart(1 + i % 4);
            if (i % 8 == 3) core.RequestNewTarget();
            core.Cycle(left, right, period);
        }
    }

    /// <summary>The largest ticks-per-quarter (≤ 32767) for which one tick is exactly one sample at a whole-microsecond tempo.</summary>
    public static (int Ppq, int Tempo) SampleExactTiming(int sampleRate)
    {
        for (int ppq = 32767; ppq >= 1; ppq--)
        {
            long micros = (long)ppq * 1_000_000;
            if (micros % sampleRate == 0 && micros / sampleRate is > 0 and < 0xFFFFFF) return (ppq, (int)(micros / sampleRate));
        }
        throw new AudioBackendException($"no exact MIDI timing for {sampleRate} Hz");
    }
}
