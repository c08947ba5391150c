using System.Text.Json;
using Losses.Engine.Config;
using Losses.Protocol;

namespace Losses.Plugin;

/// <summary>
/// What the plugin's state holds beyond its controls: the engine config and, optionally, a ring
/// by name (instead of the ring control's numbered one). One JSON text for LV2's state property
/// and inside CLAP's state, which adds the parameter values CLAP hosts do not save themselves:
/// <code>{ "ringName": "stage" | null, "config": { …as `./losses config` prints it… }, "parameters": { "gain": 0, … } }</code>
/// </summary>
internal sealed record PluginSettings(EngineConfig Config, string? RingName)
{
    public const string Source = "state";

    public static PluginSettings Default { get; } = new(EngineConfig.Default, null);

    /// <summary>The payload, UTF-8; <paramref name="parameters"/> for CLAP (name, value), none for LV2.</summary>
    public byte[] ToUtf8(ReadOnlySpan<(string Name, double Value)> parameters = default)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            if (RingName is null) w.WriteNull("ringName");
            else w.WriteString("ringName", RingName);
            w.WritePropertyName("config");
            w.WriteRawValue(Config.ToJson());
            if (!parameters.IsEmpty)
            {
                w.WriteStartObject("parameters");
                foreach (var (name, value) in parameters) w.WriteNumber(name, value);
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads a payload; a key left out keeps its default (LV2: a host resets the state with an empty
    /// one). Anything wrong is a <see cref="ConfigException"/> naming it, and nothing is applied.
    /// </summary>
    public static PluginSettings Parse(ReadOnlySpan<byte> utf8, Dictionary<string, double>? parameters = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{Source}: not valid JSON ({e.Message.Split('\n')[0]})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new ConfigException($"{Source}: must be a JSON object");
            EngineConfig config = EngineConfig.Default;
            string? ring = null;
            foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "config":
                        config = EngineConfig.Parse(p.Value.GetRawText(), Source);
                        break;
                    case "ringName" when p.Value.ValueKind == JsonValueKind.Null:
                        break;
                    case "ringName":
                        ring = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null;
                        if (ring is null || !RingLayout.IsValidName(ring))
                            throw new ConfigException($"{Source}: 'ringName' must be a ring name (letters, digits, '-', '_' or '.', at most 64) or null");
                        break;
                    case "parameters" when parameters is not null && p.Value.ValueKind == JsonValueKind.Object:
                        foreach (JsonProperty v in p.Value.EnumerateObject())
                        {
                            if (v.Value.ValueKind != JsonValueKind.Number) throw new ConfigException($"{Source}: 'parameters.{v.Name}' must be a number");
                            parameters[v.Name] = v.Value.GetDouble();
                        }
                        break;
                    default:
                        throw new ConfigException($"{Source}: unknown key '{p.Name}' (the state holds config, ringName{(parameters is null ? "" : ", parameters")})");
                }
            }
            return new PluginSettings(config, ring);
        }
    }
}
