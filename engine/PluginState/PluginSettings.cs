using System.Text.Json;
using Losses.Engine.Config;
using Losses.Platform;
using Losses.Protocol;

namespace Losses.Engine.PluginState;

/// <summary>
/// What the plugin's state holds beyond its controls: the engine config and, optionally, a ring
/// by name (instead of the ring control's numbered one). One JSON text for LV2's state property
/// and inside CLAP's state, which adds the parameter values CLAP hosts do not save themselves:
/// <code>{ "ringName": "stage" | null, "config": { …as `./losses config` prints it… }, "parameters": { "gain": 0, … } }</code>
/// </summary>
public sealed record PluginSettings(EngineConfig Config, string? RingName)
{
    public const string Source = "state";
    /// <summary>The LV2 plugin, and its state's one property (an atom:String holding this JSON).</summary>
    public const string Lv2PluginUri = "urn:losses:lv2:instrument", Lv2SettingsKey = Lv2PluginUri + "#settings";

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
    /// An LV2 preset bundle holding these settings (a folder ending in .lv2, as lilv saves one):
    /// hosts that scan it list <paramref name="label"/> among the plugin's presets, `jalv -l` loads
    /// it. Both files are written whole or not at all.
    /// </summary>
    public void WriteLv2Preset(string bundle, string label)
    {
        const string prefixes = """
            @prefix lv2:   <http://lv2plug.in/ns/lv2core#> .
            @prefix pset:  <http://lv2plug.in/ns/ext/presets#> .
            @prefix rdfs:  <http://www.w3.org/2000/01/rdf-schema#> .
            @prefix state: <http://lv2plug.in/ns/ext/state#> .

            """;
        // The preset is the state file itself (its URI), as lilv_state_save makes presets.
        string manifest = prefixes + "\n" + $"""
            <state.ttl>
            	a pset:Preset ;
            	lv2:appliesTo <{Lv2PluginUri}> ;
            	rdfs:seeAlso <state.ttl> .

            """;
        string json = System.Text.Encoding.UTF8.GetString(ToUtf8());
        string state = prefixes + "\n" + $""""
            <>
            	a pset:Preset ;
            	lv2:appliesTo <{Lv2PluginUri}> ;
            	rdfs:label "{TurtleEscape(label)}" ;
            	state:state [
            		<{Lv2SettingsKey}> """{TurtleEscape(json)}"""
            	] .

            """";
        RefuseAnotherBundle(bundle, manifest);
        Directory.CreateDirectory(bundle);
        using var set = new OutputSet();
        foreach (var (name, text) in new[] { ("manifest.ttl", manifest), ("state.ttl", state) })
        {
            var file = new PendingFile(Path.Combine(bundle, name), set: set);
            file.Stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
            file.Commit();
        }
        set.Commit();
    }

    /// <summary>
    /// A preset goes into a bundle of its own: an existing folder is taken only when it is one of these
    /// presets (its manifest.ttl the very one written here, nothing but it and state.ttl beside it). Into
    /// another plugin's bundle — or the instrument's own — a preset would replace the manifest.ttl that
    /// makes the host find that plugin.
    /// </summary>
    private static void RefuseAnotherBundle(string bundle, string manifest)
    {
        if (!Losses.Platform.InputFile.Exists(bundle)) return;
        if (!Directory.Exists(bundle)) throw new ConfigException($"-o {bundle}: there is a file of that name, not a folder: give a new folder ending in .lv2");
        string[] entries = Directory.GetFileSystemEntries(bundle).Select(Path.GetFileName).ToArray()!;
        string manifestPath = Path.Combine(bundle, "manifest.ttl");
        bool ours = entries.All(e => e is "manifest.ttl" or "state.ttl")
            && (!entries.Contains("manifest.ttl") || Losses.Platform.InputFile.ReadAllText(manifestPath, "the bundle's manifest", 1 << 20, followLinks: false) == manifest);
        if (!ours)
            throw new ConfigException($"-o {bundle}: that folder holds another bundle ({(entries.Length == 0 ? "" : string.Join(", ", entries.Take(4)))}{(entries.Length > 4 ? ", …" : "")}), not a preset of this plugin: writing there would replace its manifest.ttl — give a new folder ending in .lv2");
    }

    /// <summary>A Turtle string's body: backslashes and quotes escaped (a plain JSON text is a plain atom:String to lilv).</summary>
    private static string TurtleEscape(string text) => text.Replace("\\", "\\\\").Replace("\"", "\\\"");

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
                            throw new ConfigException($"{Source}: 'ringName' must be a ring name ({RingLayout.NameRule}) or null");
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
