using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using Losses.Engine.Midi;
using Losses.Platform;
using Losses.Platform.Cli;
using Losses.Protocol;

namespace Losses.Engine.Live;

/// <summary>
/// `--record DIR`: the incoming MIDI, the frame log, the config and the seed — so an offline render
/// reproduces the performance sample for sample. Crash-safe: a concert machine can lose power.
/// <list type="bullet">
/// <item>`config.json` and `session.json` (seed, rate, buffer, `complete: false`) are written as
/// the set starts.</item>
/// <item>`midi.partial` is a journal of 11-byte records (engine sample as int64, status, data1,
/// data2) appended as the MIDI arrives: handed to the OS at every drain of the queue (every 20 ms)
/// and to the disk at most 100 ms after it was played.</item>
/// <item>`frames.partial` is the frame log, written in place and flushed likewise.</item>
/// </list>
/// At the end (or by `losses recover DIR` after a crash) the journal becomes `performance.mid`,
/// whose ticks are exactly the engine's samples, and `frames.partial` becomes `frames.frames`.
/// </summary>
public sealed class Recorder
{
    public const string MidiJournal = "midi.partial";
    public const string FramesJournal = "frames.partial";
    private const int RecordBytes = 11;
    private static readonly long SyncTicks = System.Diagnostics.Stopwatch.Frequency / 10; // 100 ms

    private readonly string _dir;
    private readonly JournalFile _midi;
    private readonly byte[] _record = new byte[RecordBytes];
    private FrameLogWriter? _frames;
    private Thread? _frameThread;
    private volatile bool _stopFrames;
    private long _framesLost;
    private long _framesWritten;
    private bool _midiUnsynced;
    private long _midiSyncedAt;

    private Recorder(string dir)
    {
        _dir = dir;
        _midi = new JournalFile(Path.Combine(dir, MidiJournal));
    }

    public string Summary { get; private set; } = "";

    /// <summary>Opens the MIDI journal (before the backend: a folder we cannot write fails the set at once).</summary>
    public static Recorder Begin(string dir)
    {
        try
        {
            Directory.CreateDirectory(dir);
            return new Recorder(dir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AudioBackendException($"cannot record to {dir}: {e.Message}");
        }
    }

    /// <summary>Writes what a replay needs at once and starts copying the engine's ring into the frame log on its own thread.</summary>
    public void Start(LiveOptions o, string ring, int sampleRate, int bufferSize)
    {
        PendingFile.WriteAllText(Path.Combine(_dir, "config.json"), o.Config.ToJson());
        WriteSession(_dir, new JsonObject
        {
            ["seed"] = o.Seed,
            ["sampleRate"] = sampleRate,
            ["bufferSize"] = bufferSize,
            ["complete"] = false,
        }, o.Seed, sampleRate);

        var reader = FrameRingReader.Open(ring, RingJoin.FromStart);
        _frames = FrameLogWriter.Journal(Path.Combine(_dir, FramesJournal), sampleRate);
        _frameThread = new Thread(() =>
        {
            long syncedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            bool unsynced = false;
            using (reader)
            {
                while (true)
                {
                    bool any = false;
                    while (reader.TryRead(out Frame f)) { _frames.Publish(in f); any = true; }
                    _framesLost = reader.Lost;
                    if (any)
                    {
                        _frames.Flush(toDisk: false);
                        unsynced = true;
                        Volatile.Write(ref _framesWritten, _frames.Count);
                    }
                    long now = System.Diagnostics.Stopwatch.GetTimestamp();
                    if (unsynced && now - syncedAt >= SyncTicks)
                    {
                        _frames.Flush(toDisk: true);
                        syncedAt = now;
                        unsynced = false;
                    }
                    if (!any)
                    {
                        if (_stopFrames) break;
                        Thread.Sleep(5);
                    }
                }
            }
        }) { Name = "losses frame log", IsBackground = true };
        _frameThread.Start();
    }

    /// <summary>Main thread, every 20 ms: the MIDI the audio thread queued goes to the journal.</summary>
    public void DrainMidi(SpscQueue<RecordedMidi> queue)
    {
        bool any = false;
        while (queue.TryDequeue(out RecordedMidi m))
        {
            if (m.IsRestart) continue; // only a plugin's timeline restarts its core
            BinaryPrimitives.WriteInt64LittleEndian(_record, m.SampleTime);
            _record[8] = m.Status;
            _record[9] = m.Data1;
            _record[10] = m.Data2;
            _midi.Write(_record);
            any = true;
        }
        if (any)
        {
            _midi.Flush(); // a killed process loses nothing the OS has
            _midiUnsynced = true;
        }
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_midiUnsynced && now - _midiSyncedAt >= SyncTicks)
        {
            _midi.FlushToDisk(); // a machine that loses power loses at most 100 ms
            _midiSyncedAt = now;
            _midiUnsynced = false;
        }
    }

    public void Finish(LiveOptions o, int sampleRate, int bufferSize, long frameTimeOfSample0, (long FrameTime, long Frames)[] skips, long samples, long xruns)
    {
        _stopFrames = true;
        _frameThread?.Join();
        _frames?.Commit();
        _frames?.Dispose();
        _midi.FlushToDisk();
        _midi.Dispose();
        var session = new JsonObject
        {
            ["seed"] = o.Seed,
            ["sampleRate"] = sampleRate,
            ["bufferSize"] = bufferSize,
            ["complete"] = true,
            ["engineSamples"] = samples,
            ["jackFrameTimeOfSample0"] = frameTimeOfSample0,
            ["jackSkips"] = new JsonArray(skips.Select(k => (JsonNode)new JsonArray(k.FrameTime, k.Frames)).ToArray()),
            ["xruns"] = xruns,
            ["framesLostByRecorder"] = _framesLost,
        };
        using FileStream midi = InputFile.Open(Path.Combine(_dir, MidiJournal), "the MIDI journal", long.MaxValue, followLinks: false)!;
        (int events, long frames) = Complete(_dir, midi, samples, session, o.Seed, sampleRate);
        Summary = $"performance.mid ({events} events), frames.frames ({frames} frames, {_framesLost} lost), config.json, session.json";
    }

    /// <summary>The set never started (the backend failed): nothing of it is left behind.</summary>
    public void Abandon()
    {
        _stopFrames = true;
        _frameThread?.Join();
        _frames?.Dispose();
        _midi.Dispose();
        File.Delete(Path.Combine(_dir, MidiJournal));
        File.Delete(Path.Combine(_dir, FramesJournal));
    }

    /// <summary>The largest MIDI journal recover reads (it reads it whole): 24 million events, hours of the densest playing.</summary>
    public const long MaxMidiJournalBytes = 256L << 20;
    /// <summary>The largest frame journal recover takes: 70 hours of frames at 60 a second.</summary>
    public const long MaxFramesJournalBytes = 16L << 30;
    /// <summary>A session.json is a few hundred bytes.</summary>
    public const long MaxSessionBytes = 1 << 20;

    /// <summary>
    /// `losses recover DIR`: a set whose engine was killed (or lost power) becomes a complete
    /// recording: the journal's whole records become `performance.mid`, the frame log is cut to its
    /// last whole frame. The folder is untrusted ground: nothing in it is opened through a symbolic
    /// link, every file is checked to be a regular file of a plausible size before anything is read
    /// or written, and every field of session.json is checked. Returns a one-line summary.
    /// </summary>
    public static string Recover(string dir)
    {
        if (!Directory.Exists(dir)) throw new IOException($"{dir}: no such folder — give the folder passed to 'live --record'");
        string journal = Path.Combine(dir, MidiJournal);
        using FileStream? midi = InputFile.Open(journal, "the MIDI journal", MaxMidiJournalBytes, followLinks: false, mayBeAbsent: true);
        if (midi is null)
        {
            if (InputFile.Exists(Path.Combine(dir, "performance.mid")))
                throw new IOException($"{dir}: the recording is already complete (performance.mid) — nothing to recover");
            throw new IOException($"{dir}: no live recording here ({MidiJournal} not found) — give the folder passed to 'live --record'");
        }
        string sessionPath = Path.Combine(dir, "session.json");
        JsonObject session;
        try
        {
            string text = InputFile.ReadAllText(sessionPath, "the session file", MaxSessionBytes, followLinks: false);
            session = JsonNode.Parse(text)?.AsObject() ?? throw new JsonException("empty");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FileNotFoundException)
        {
            throw new IOException($"{sessionPath}: unreadable ({(e is FileNotFoundException ? "not found" : e.Message)}) — the set's seed and sample rate are in it; without them it cannot be replayed");
        }
        (ulong seed, int sampleRate) = SessionFile.Validate(sessionPath, session);

        string framesPartial = Path.Combine(dir, FramesJournal);
        long end = 0;
        using (FileStream? frames = InputFile.Open(framesPartial, "the frame journal", MaxFramesJournalBytes, followLinks: false, writable: true, mayBeAbsent: true))
        {
            if (frames is not null)
            {
                FrameLogReader.TruncateToWholeFrames(frames);
                using var log = FrameLogReader.Open(framesPartial, frames);
                if (log.Count > 0) end = log.Read(log.Count - 1).SampleTime;
            }
        }
        session["complete"] = true;
        session["recovered"] = true;
        (int events, long count) = Complete(dir, midi, end, session, seed, sampleRate);
        return $"recovered {dir}: performance.mid ({events} events), frames.frames ({count} frames), session.json";
    }

    /// <summary>Journal → performance.mid, frames.partial → frames.frames, then session.json; the journal goes last.</summary>
    private static (int Events, long Frames) Complete(string dir, FileStream midi, long endSample, JsonObject session, ulong seed, int sampleRate)
    {
        (int ppq, int tempo) = LiveSession.SampleExactTiming(sampleRate);
        var events = new List<TickedMidiEvent>();
        string journal = Path.Combine(dir, MidiJournal);
        var buffer = new byte[RecordBytes];
        // A record cut short by a kill is dropped; so is anything that is not a channel message.
        while (midi.ReadAtLeast(buffer, RecordBytes, throwOnEndOfStream: false) == RecordBytes)
        {
            long sample = BinaryPrimitives.ReadInt64LittleEndian(buffer);
            byte status = buffer[8];
            if (status is < 0x80 or >= 0xF0 || sample < 0 || sample > MaxSample) continue;
            events.Add(new TickedMidiEvent(sample, status, (byte)(buffer[9] & 0x7F), (byte)(buffer[10] & 0x7F)));
        }
        midi.Dispose(); // closed before it is deleted (Windows will not delete an open file)
        // The journal is in the engine's order already (cycle by cycle, offsets ascending): kept as it is.
        long last = events.Count > 0 ? events[^1].Tick : 0;
        string mid = Path.Combine(dir, "performance.mid");
        PendingFile.WriteAllBytes(mid, new StandardMidiFileWriter(ppq, tempo).AddTrack(events, "losses live", endTick: Math.Max(endSample, last)).ToArray(1));

        long frames = 0;
        string framesPartial = Path.Combine(dir, FramesJournal);
        FileStream? log = InputFile.Open(framesPartial, "the frame journal", MaxFramesJournalBytes, followLinks: false, mayBeAbsent: true);
        if (log is not null) // whole frames: written so by Finish, cut so by Recover
        {
            using (var reader = FrameLogReader.Open(framesPartial, log)) frames = reader.Count;
            File.Move(framesPartial, Path.Combine(dir, "frames.frames"), overwrite: true);
        }
        session["midiEvents"] = events.Count;
        WriteSession(dir, session, seed, sampleRate);
        File.Delete(journal);
        return (events.Count, frames);
    }

    /// <summary>A sample time no set reaches (a year at the highest rate): a record beyond it is damage, dropped.</summary>
    private const long MaxSample = 365L * 86400 * Losses.Platform.Limits.MaxSampleRate;

    private static void WriteSession(string dir, JsonObject session, ulong seed, int sampleRate)
    {
        // Always this program's own line: a session.json's command is never passed on, and every path in it is quoted for the shell.
        session["reproduce"] = $"./losses render {ShellWord.Quote(Path.Combine(dir, "performance.mid"))} -o replay.wav --config {ShellWord.Quote(Path.Combine(dir, "config.json"))} --seed {seed} --sample-rate {sampleRate}";
        PendingFile.WriteAllText(Path.Combine(dir, "session.json"), session.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
