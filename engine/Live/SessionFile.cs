using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Losses.Platform;
using Losses.Protocol;

namespace Losses.Engine.Live;

/// <summary>
/// The fields a live recording's session.json may hold, each with the kind and range it must have:
/// `recover` checks every one before it trusts the file, and refuses one it does not know, each
/// with one line naming the field, what it holds and what it must hold.
/// </summary>
public static class SessionFile
{
    private static readonly long MaxSamples = 365L * 86400 * Limits.MaxSampleRate;

    private static readonly Dictionary<string, Func<JsonNode?, string?>> Fields = new()
    {
        ["seed"] = n => Whole(n, 0, null, out _),
        ["sampleRate"] = n => Whole(n, Limits.MinSampleRate, Limits.MaxSampleRate, out _),
        ["bufferSize"] = n => Whole(n, 1, 8192, out _),
        ["complete"] = Boolean,
        ["recovered"] = Boolean,
        ["engineSamples"] = n => Whole(n, 0, MaxSamples, out _),
        ["jackFrameTimeOfSample0"] = n => Whole(n, 0, uint.MaxValue, out _),
        ["xruns"] = n => Whole(n, 0, long.MaxValue, out _),
        ["framesLostByRecorder"] = n => Whole(n, 0, long.MaxValue, out _),
        ["midiEvents"] = n => Whole(n, 0, int.MaxValue, out _),
        ["jackSkips"] = Skips,
        ["reproduce"] = n => n?.GetValueKind() == JsonValueKind.String ? null : "must be a string", // rewritten by recover in any case
    };

    /// <summary>The seed and sample rate of a session, every field checked; an <see cref="IOException"/> of one line otherwise.</summary>
    public static (ulong Seed, int SampleRate) Validate(string path, JsonObject session)
    {
        foreach ((string name, JsonNode? value) in session)
        {
            if (!Fields.TryGetValue(name, out var check))
                throw new IOException($"{path}: '{name}' is not a field of a live recording's session — remove it (the fields are {string.Join(", ", Fields.Keys)})");
            if (check(value) is string problem)
                throw new IOException($"{path}: '{name}' {problem}, not {Show(value)} — the file is damaged or was edited");
        }
        foreach (string required in (string[])["seed", "sampleRate"])
            if (!session.ContainsKey(required))
                throw new IOException($"{path}: no '{required}' — not a live recording's session file (the set's seed and sample rate are needed to replay it)");
        Whole(session["seed"], 0, null, out decimal seed);
        Whole(session["sampleRate"], Limits.MinSampleRate, Limits.MaxSampleRate, out decimal rate);
        return ((ulong)seed, (int)rate);
    }

    private static string? Whole(JsonNode? node, decimal min, decimal? max, out decimal value)
    {
        value = 0;
        string range = max is decimal m ? string.Create(CultureInfo.InvariantCulture, $"a whole number in {min}..{m}") : string.Create(CultureInfo.InvariantCulture, $"a whole number from {min} up");
        if (node?.GetValueKind() != JsonValueKind.Number || !node.AsValue().TryGetValue(out JsonElement e) || !e.TryGetDecimal(out value))
            return "must be " + range;
        ulong top = max is decimal mm ? (ulong)mm : ulong.MaxValue;
        return value != decimal.Truncate(value) || value < min || value > top ? "must be " + range : null;
    }

    private static string? Boolean(JsonNode? node) =>
        node?.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? null : "must be true or false";

    private static string? Skips(JsonNode? node)
    {
        const string shape = "must be a list of [frame time, frames] pairs of whole numbers";
        if (node is not JsonArray list) return shape;
        foreach (JsonNode? pair in list)
            if (pair is not JsonArray { Count: 2 } two || Whole(two[0], 0, null, out _) is not null || Whole(two[1], long.MinValue, long.MaxValue, out _) is not null)
                return shape;
        return null;
    }

    private static string Show(JsonNode? value)
    {
        string text = value?.ToJsonString() ?? "null";
        return text.Length > 40 ? text[..40] + "…" : text;
    }
}
