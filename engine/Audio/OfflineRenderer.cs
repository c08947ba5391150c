using System.Text.Json;
using System.Text.Json.Serialization;
using Losses.Engine.Config;
using Losses.Engine.Learning;
using Losses.Engine.Midi;
using Losses.Engine.Parts;
using Losses.Platform;
using Losses.Protocol;

namespace Losses.Engine.Audio;

public sealed record RenderOptions
{
    public ulong Seed { get; init; } = 1;
    public int Block { get; init; } = 64;
    public const int DefaultSampleRate = 48000;
    public int SampleRate { get; init; } = DefaultSampleRate;
    /// <summary>Longest ring-out after the last event; the render ends earlier once every voice is silent.</summary>
    public double MaxTailSeconds { get; init; } = 30;
    /// <summary>Pace the blocks at the wall clock, as a live engine would (for watching the ring).</summary>
    public bool RealTime { get; init; }
    /// <summary>The command's outputs: the WAV joins them and is moved into place with the rest (none: on its own).</summary>
    public OutputSet? Outputs { get; init; }
    /// <summary>Checked every block: Ctrl-C, SIGTERM or a broken ring stop the render and its temporary files go.</summary>
    public CancellationToken Cancel { get; init; }
}

public sealed record TargetSummary(string Model, int Part, double StartSeconds, long Steps, float FirstLoss, float FinalLoss);

/// <summary>What a render did, as printed at the end and written by --summary-json.</summary>
public sealed record RenderSummary
{
    public required string Input { get; init; }
    public required string Output { get; init; }
    public required int SampleRate { get; init; }
    public required int Block { get; init; }
    public required ulong Seed { get; init; }
    public required double DurationSeconds { get; init; }
    public required long Frames { get; init; }
    public required int Notes { get; init; }
    public required int PartChanges { get; init; }
    public required int[] PartsVisited { get; init; }
    public required int CubicTargets { get; init; }
    public required int KnotTargets { get; init; }
    public required long GradientSteps { get; init; }
    public required int Resets { get; init; }
    public required long VoiceSteals { get; init; }
    public required float Peak { get; init; }
    /// <summary>Integrated loudness (ITU-R BS.1770-4, EBU R128 gating); null for silence.</summary>
    public required double? LoudnessLufs { get; init; }
    /// <summary>True peak (4× oversampled at 44.1/48 kHz), dBTP.</summary>
    public required double TruePeakDbtp { get; init; }
    public required TargetSummary[] Targets { get; init; }
    public required long FramesPublished { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, RenderSummaryJson.Default.RenderSummary);
}

/// <summary>The render summary's JSON, generated at compile time (no reflection: the NativeAOT plugin links the engine).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(RenderSummary))]
internal sealed partial class RenderSummaryJson : JsonSerializerContext;

/// <summary>
/// Drives the processor block by block from a MIDI file, exactly as a live backend would, and
/// writes the output to a WAV file. The file ends when the last voice has died away (a sample
/// fixed by the engine's clock, so every block size gives the same length).
/// </summary>
public static class OfflineRenderer
{
    public static RenderSummary Render(MidiPerformance performance, EngineConfig config, RenderOptions options,
        string outputPath, Action<double>? progress = null, IFrameSink? frames = null)
    {
        var processor = new LossesProcessor(config, options.Seed);
        processor.Prepare(options.SampleRate, options.Block);
        processor.FrameSink = frames;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        TimedMidiEvent[] events = performance.Events;
        long lastEvent = events.Length > 0 ? events[^1].SampleTime : 0;
        long hardEnd = lastEvent + 1 + (long)(options.MaxTailSeconds * options.SampleRate);
        var left = new float[options.Block];
        var right = new float[options.Block];
        var blockEvents = new MidiEvent[Math.Max(16, events.Length)];
        float peak = 0f;
        var loudness = new LoudnessMeter(options.SampleRate);
        int nextEvent = 0;
        long end;
        long progressEvery = Math.Max(1, options.SampleRate / options.Block); // about once a second of audio

        using (var wav = new WavWriter(outputPath, options.SampleRate, options.Block, options.Outputs))
        {
            for (long block = 0; ; block++)
            {
                options.Cancel.ThrowIfCancellationRequested();
                long start = processor.SampleTime;
                int count = 0;
                while (nextEvent < events.Length && events[nextEvent].SampleTime < start + options.Block)
                {
                    TimedMidiEvent e = events[nextEvent++];
                    blockEvents[count++] = e.At((int)(e.SampleTime - start));
                }
                processor.Process(left, right, blockEvents.AsSpan(0, count));
                if (options.RealTime)
                {
                    double ahead = (double)processor.SampleTime / options.SampleRate - clock.Elapsed.TotalSeconds;
                    if (ahead > 0.002) Thread.Sleep(TimeSpan.FromSeconds(ahead));
                }
                peak = MathF.Max(peak, MathF.Max(processor.PeakLeft, processor.PeakRight));
                wav.Write(left, right);
                int measured = (int)Math.Min(options.Block, hardEnd - start); // past the silence it is zeros; past hardEnd it is cut
                loudness.Add(left.AsSpan(0, measured), right.AsSpan(0, measured));

                long now = processor.SampleTime;
                if (now > lastEvent && processor.SilentSince >= 0) { end = Math.Max(processor.SilentSince, lastEvent + 1); break; }
                if (now >= hardEnd) { end = hardEnd; break; }
                if (progress is not null && block % progressEvery == 0) progress(Math.Min(1.0, (double)now / (lastEvent + 1)));
            }
            wav.Commit(end);
        }
        progress?.Invoke(1.0);

        Piece piece = processor.Piece;
        var parts = new List<int>();
        for (int p = 1; p <= 4; p++) if ((piece.PartsVisited & (1 << p)) != 0) parts.Add(p);
        var targets = new List<TargetSummary>();
        foreach (TargetRecord t in piece.Targets)
            targets.Add(new TargetSummary(t.Model, t.Part,
                (double)t.StartSample / options.SampleRate, t.Steps, t.FirstLoss, t.FinalLoss));

        return new RenderSummary
        {
            Input = performance.Name,
            Output = outputPath,
            SampleRate = options.SampleRate,
            Block = options.Block,
            Seed = options.Seed,
            DurationSeconds = (double)end / options.SampleRate,
            Frames = end,
            Notes = piece.NoteOns,
            PartChanges = piece.PartChanges,
            PartsVisited = parts.ToArray(),
            CubicTargets = piece.TargetsOf("cubic"),
            KnotTargets = piece.TargetsOf("knot"),
            GradientSteps = piece.GradientSteps,
            Resets = piece.Resets,
            VoiceSteals = processor.Voices.Steals,
            Peak = peak,
            LoudnessLufs = loudness.IntegratedLufs,
            TruePeakDbtp = loudness.TruePeakDbtp,
            Targets = targets.ToArray(),
            FramesPublished = processor.FramesPublished,
        };
    }
}
