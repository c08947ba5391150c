using System.Text.Json;
using System.Text.Json.Serialization;

namespace Losses.Engine.Live;

/// <summary>What a live set did, as printed at its end and written by `live --summary-json` (for scripts: no scraping of the text).</summary>
public sealed record LiveSummary
{
    public required double Seconds { get; init; }
    public required int SampleRate { get; init; }
    public required int BufferSize { get; init; }
    public required long Cycles { get; init; }
    public required long Xruns { get; init; }
    public required int ClockSlips { get; init; }
    public required long ClockSlipFrames { get; init; }
    /// <summary>DSP load (callback time / period) after warm-up, as fractions (0.25 = 25 %).</summary>
    public required float DspMedian { get; init; }
    public required float DspP99 { get; init; }
    public required float DspMax { get; init; }
    public required long DspCycles { get; init; }
    /// <summary>The first callbacks, before warm-up ends: the longest, how many, and how many took longer than their period.</summary>
    public required float WarmUpDspMax { get; init; }
    public required long WarmUpCycles { get; init; }
    public required long WarmUpOverruns { get; init; }
    public required long MidiEvents { get; init; }
    public required long MidiDropped { get; init; }
    public required long Frames { get; init; }
    public required int Notes { get; init; }
    public required long GradientSteps { get; init; }
    /// <summary>Gen 0/1/2 collections since warm-up; null when the set stopped before warm-up.</summary>
    public required int[]? GcCollections { get; init; }
    /// <summary>Bytes the whole process allocated since warm-up; null when the set stopped before warm-up.</summary>
    public required long? AllocatedBytes { get; init; }
    /// <summary>Events of the --play file played; null without one.</summary>
    public required int? Played { get; init; }
    /// <summary>Why the set ended early (device lost, ring fault, engine fault); null when it ended as asked.</summary>
    public required string? Ending { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, LiveSummaryJson.Default.LiveSummary);

    public static LiveSummary FromJson(string json) =>
        JsonSerializer.Deserialize(json, LiveSummaryJson.Default.LiveSummary) ?? throw new JsonException("a live summary that is null");
}

/// <summary>The live summary's JSON, generated at compile time (no reflection), in the render summary's style.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(LiveSummary))]
internal sealed partial class LiveSummaryJson : JsonSerializerContext;
