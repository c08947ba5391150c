using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using Losses.Engine.Midi;
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
        (int events, long frames) = Complete(_dir, samples, session, o.Seed, sampleRate);
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

    /// <summary>
    /// `losses recover DIR`: a set whose engine was killed (or lost power) becomes a complete
    /// recording: the journal's whole records become `performance.mid`, the frame log is cut to its
    /// last whole frame. Returns a one-line summary.
    /// </summary>
    public static string Recover(string dir)
    {
        string journal = Path.Combine(dir, MidiJournal);
        if (!File.Exists(journal))
        {
            if (File.Exists(Path.Combine(dir, "performance.mid")))
                throw new IOException($"{dir}: the recording is already complete (performance.mid) — nothing to recover");
            throw new IOException($"{dir}: no live recording here ({MidiJournal} not found) — give the folder passed to 'live --record'");
        }
        string sessionPath = Path.Combine(dir, "session.json");
        JsonObject session;
        try
        {
            session = JsonNode.Parse(File.ReadAllText(sessionPath))?.AsObject() ?? throw new JsonException("empty");
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidOperationException)
        {
            throw new IOException($"{sessionPath}: unreadable ({e.Message}) — the set's seed and sample rate are in it; without them it cannot be replayed");
        }
        if (session["seed"]?.GetValueKind() != JsonValueKind.Number || session["sampleRate"]?.GetValueKind() != JsonValueKind.Number)
            throw new IOException($"{sessionPath}: no seed or sample rate — not a live recording's session file");
        ulong seed = session["seed"]!.GetValue<ulong>();
        int sampleRate = session["sampleRate"]!.GetValue<int>();
        if (sampleRate is < 8000 or > 384000) throw new IOException($"{sessionPath}: sample rate {sampleRate} is out of range — the file is corrupt");

        string framesPartial = Path.Combine(dir, FramesJournal);
        long end = 0;
        if (File.Exists(framesPartial))
        {
            FrameLogReader.TruncateToWholeFrames(framesPartial);
            using var log = FrameLogReader.Open(framesPartial);
            if (log.Count > 0) end = log.Read(log.Count - 1).SampleTime;
        }
        session["complete"] = true;
        session["recovered"] = true;
        (int events, long frames) = Complete(dir, end, session, seed, sampleRate);
        return $"recovered {dir}: performance.mid ({events} events), frames.frames ({frames} frames), session.json";
    }

    /// <summary>Journal → performance.mid, frames.partial → frames.frames, then session.json; the journal goes last.</summary>
    private static (int Events, long Frames) Complete(string dir, long endSample, JsonObject session, ulong seed, int sampleRate)
    {
        (int ppq, int tempo) = LiveSession.SampleExactTiming(sampleRate);
        var events = new List<TickedMidiEvent>();
        string journal = Path.Combine(dir, MidiJournal);
        using (var midi = new FileStream(journal, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
            var buffer = new byte[RecordBytes];
            // A record cut short by a kill is dropped; so is anything that is not a channel message.
            while (midi.ReadAtLeast(buffer, RecordBytes, throwOnEndOfStream: false) == RecordBytes)
            {
                long sample = BinaryPrimitives.ReadInt64LittleEndian(buffer);
                byte status = buffer[8];
                if (status is < 0x80 or >= 0xF0 || sample < 0) continue;
                events.Add(new TickedMidiEvent(sample, status, (byte)(buffer[9] & 0x7F), (byte)(buffer[10] & 0x7F)));
            }
        }
        // The journal is in the engine's order already (cycle by cycle, offsets ascending): kept as it is.
        long last = events.Count > 0 ? events[^1].Tick : 0;
        string mid = Path.Combine(dir, "performance.mid");
        PendingFile.WriteAllBytes(mid, new StandardMidiFileWriter(ppq, tempo).AddTrack(events, "losses live", endTick: Math.Max(endSample, last)).ToArray(1));

        long frames = 0;
        string framesPartial = Path.Combine(dir, FramesJournal);
        if (File.Exists(framesPartial)) // whole frames: written so by Finish, cut so by Recover
        {
            using (var log = FrameLogReader.Open(framesPartial)) frames = log.Count;
            File.Move(framesPartial, Path.Combine(dir, "frames.frames"), overwrite: true);
        }
        session["midiEvents"] = events.Count;
        WriteSession(dir, session, seed, sampleRate);
        File.Delete(journal);
        return (events.Count, frames);
    }

    private static void WriteSession(string dir, JsonObject session, ulong seed, int sampleRate)
    {
        session["reproduce"] ??= $"./losses render {Path.Combine(dir, "performance.mid")} -o replay.wav --config {Path.Combine(dir, "config.json")} --seed {seed} --sample-rate {sampleRate}";
        PendingFile.WriteAllText(Path.Combine(dir, "session.json"), session.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}
