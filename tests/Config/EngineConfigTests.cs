using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Losses.Engine.Config;
using Losses.Engine.Core;
using Losses.Engine.Learning;

namespace Losses.Tests.Config;

public class EngineConfigTests
{
    /// <summary>
    /// The printed config holds every setting, with its value, and nothing else — checked against the
    /// records themselves, walked by reflection (not by the JSON printer): camelCase keys, enums as
    /// camelCase names, a null preset left out.
    /// </summary>
    [Theory]
    [InlineData(null)]
    [InlineData("ldd")]
    public void The_printed_config_holds_every_setting_with_its_value(string? preset)
    {
        EngineConfig config = preset is null ? EngineConfig.Default : EngineConfig.FromPreset(preset);
        using var printed = JsonDocument.Parse(config.ToJson());
        AssertPrinted(printed.RootElement, config, "");
    }

    /// <summary>
    /// Each setting, written by hand alone in a file with a value other than its default, reads back as
    /// that value, and every other setting keeps its default (compared leaf by leaf through the records).
    /// </summary>
    [Fact]
    public void Every_setting_written_alone_reads_back_as_written_and_leaves_the_others_at_their_defaults()
    {
        Leaf[] defaults = Leaves(EngineConfig.Default, "").ToArray();
        Assert.True(defaults.Length > 50, $"{defaults.Length} settings");
        foreach (Leaf leaf in defaults)
        {
            if (leaf.Path == "preset") continue; // a starting point, not a setting: A_printed_preset_reads_back_as_the_preset
            object value = OtherValue(leaf);
            string json = Literal(value);
            string[] keys = leaf.Path.Split('.');
            for (int i = keys.Length - 1; i >= 0; i--) json = $"{{ \"{keys[i]}\": {json} }}";
            EngineConfig read = EngineConfig.Parse(json, "c.json");
            foreach (Leaf other in Leaves(read, ""))
                Assert.True(Equals(other.Value, other.Path == leaf.Path ? value : defaults.Single(d => d.Path == other.Path).Value),
                    $"{json}: '{other.Path}' reads {other.Value ?? "null"}");
        }
    }

    /// <summary>The printed defaults and the preset read back as themselves (record equality, which compares every setting).</summary>
    [Theory]
    [InlineData(null)]
    [InlineData("ldd")]
    public void A_printed_config_reads_back_as_itself(string? preset)
    {
        if (preset is not null) Assert.Contains(preset, EngineConfig.PresetNames);
        EngineConfig config = preset is null ? EngineConfig.Default : EngineConfig.FromPreset(preset);
        Assert.Equal(config, EngineConfig.Parse(config.ToJson(), "c.json"));
    }

    private sealed record Leaf(string Path, object? Value, PropertyInfo Property);

    /// <summary>Every setting of a config record and its sections, in declaration order, by reflection.</summary>
    private static IEnumerable<Leaf> Leaves(object record, string path)
    {
        foreach (PropertyInfo p in Settings(record.GetType()))
        {
            object? v = p.GetValue(record);
            string at = path + Key(p);
            if (IsSection(p.PropertyType))
                foreach (Leaf leaf in Leaves(v!, at + ".")) yield return leaf;
            else
                yield return new Leaf(at, v, p);
        }
    }

    private static IEnumerable<PropertyInfo> Settings(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).OrderBy(p => p.MetadataToken);

    private static bool IsSection(Type t) => t.IsClass && t != typeof(string) && t != typeof(PartModels);

    private static string Key(PropertyInfo p) => CamelCase(p.Name);

    private static string CamelCase(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private static void AssertPrinted(JsonElement json, object record, string path)
    {
        var keys = new List<string>();
        foreach (PropertyInfo p in Settings(record.GetType()))
        {
            object? v = p.GetValue(record);
            string key = Key(p), at = path + key;
            if (v is null && p.GetCustomAttribute<JsonIgnoreAttribute>() is not null)
            {
                Assert.False(json.TryGetProperty(key, out _), $"'{at}' is printed although null");
                continue;
            }
            keys.Add(key);
            Assert.True(json.TryGetProperty(key, out JsonElement e), $"'{at}' is not printed");
            switch (v)
            {
                case null: Assert.Equal(JsonValueKind.Null, e.ValueKind); break;
                case bool b: Assert.Equal(b ? JsonValueKind.True : JsonValueKind.False, e.ValueKind); break;
                case Enum n: Assert.Equal(CamelCase(n.ToString()), e.GetString()); break;
                case string t: Assert.Equal(t, e.GetString()); break;
                case PartModels m: Assert.Equal(m, e.EnumerateArray().Select(n => n.GetString()!)); break;
                case int i: Assert.Equal(i, e.GetInt32()); break;
                case float f: Assert.Equal(f, e.GetSingle()); break;
                case double d: Assert.Equal(d, e.GetDouble()); break;
                default:
                    Assert.True(IsSection(v.GetType()), $"'{at}': a {v.GetType().Name} the test does not know");
                    AssertPrinted(e, v, at + ".");
                    break;
            }
        }
        Assert.Equal(keys.Order(StringComparer.Ordinal), json.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    /// <summary>A valid value other than the default: the other truth, the next name, or 1 % of the way to the farther limit (whole numbers: one step).</summary>
    private static object OtherValue(Leaf leaf)
    {
        Type type = Nullable.GetUnderlyingType(leaf.Property.PropertyType) ?? leaf.Property.PropertyType;
        if (type == typeof(bool)) return !(bool)leaf.Value!;
        if (type.IsEnum)
        {
            Array names = Enum.GetValues(type);
            return names.GetValue((Array.IndexOf(names, leaf.Value) + 1) % names.Length)!;
        }
        if (type == typeof(PartModels))
        {
            var parts = (PartModels)leaf.Value!;
            return PartModels.Create([parts[1], parts[0], parts[0], parts[1]]); // the models of parts 1 and 2 swapped, likewise 3 and 4
        }
        if (type == typeof(string))
        {
            Assert.Equal("tuning.scale", leaf.Path);
            return "just";
        }
        LimitsAttribute limits = leaf.Property.GetCustomAttribute<LimitsAttribute>() ?? throw new InvalidOperationException($"'{leaf.Path}' has no limits");
        if (type == typeof(int))
        {
            if (leaf.Value is not int i) return (int)limits.Min + 1;
            return i + 1 <= limits.Max ? i + 1 : i - 1;
        }
        double x = leaf.Value is null ? limits.Min : Convert.ToDouble(leaf.Value, CultureInfo.InvariantCulture);
        double y = limits.Max - x >= x - limits.Min ? x + 0.01 * (limits.Max - x) : x - 0.01 * (x - limits.Min);
        if (type == typeof(float)) return (float)y;
        Assert.Equal(typeof(double), type);
        return y;
    }

    private static string Literal(object value) => value switch
    {
        bool b => b ? "true" : "false",
        Enum n => $"\"{CamelCase(n.ToString())}\"",
        string s => $"\"{s}\"",
        PartModels m => "[" + string.Join(", ", m.Select(n => $"\"{n}\"")) + "]",
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        _ => throw new ArgumentException(value.GetType().Name),
    };

    [Fact]
    public void Keys_left_out_keep_their_defaults_and_given_keys_are_read()
    {
        EngineConfig c = EngineConfig.Parse("""
            // comments are allowed
            { "learning": { "loss": "meanAbsolute", "knot": { "batchSize": 32 } }, "voice": { "partials": 8 }, }
            """, "c.json");
        Assert.Equal(LossKind.MeanAbsolute, c.Learning.Loss);
        Assert.Equal(32, c.Learning.Knot.BatchSize);
        Assert.Equal(EngineConfig.Default.Learning.Knot.LearningRate, c.Learning.Knot.LearningRate);
        Assert.Equal(8, c.Voice.Partials);
        Assert.Equal(EngineConfig.Default.Piece, c.Piece);
    }

    [Theory]
    [InlineData("""{ "pice": {} }""", "unknown key 'pice'")]
    [InlineData("""{ "piece": { "bassSplit": 200 } }""", "'piece.bassSplit' = 200 is out of range")]
    [InlineData("""{ "piece": { "bassSplit": 4.5 } }""", "'piece.bassSplit' must be a whole number")]
    [InlineData("""{ "voice": { "cutoffLowHz": 5000, "cutoffHighHz": 2000 } }""", "'voice.cutoffLowHz'")]
    [InlineData("""{ "detune": 3 }""", "'detune' must be an object")]
    [InlineData("""[]""", "must be an object")]
    [InlineData("""{ "piece": { "parts": ["cubic", "knot", "knot"] } }""", "'piece.parts' names 3 models; it must name 4, one for each part")]
    [InlineData("""{ "piece": { "parts": ["cubic", "knot", "knot", "sine"] } }""", "'piece.parts' names the model 'sine', which is not one of \"cubic\", \"knot\"")]
    [InlineData("""{ "piece": { "parts": "cubic" } }""", "'piece.parts' must be a list of names")]
    [InlineData("""{ "piece": { "parts": ["cubic", 2, "knot", "cubic"] } }""", "'piece.parts' must be a list of names")]
    public void Bad_values_name_the_key(string json, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => EngineConfig.Parse(json, "c.json"));
        Assert.StartsWith("c.json: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Parts_name_their_models_and_a_config_read_back_equals_the_one_written()
    {
        Assert.Equal(["cubic", "knot", "knot", "cubic"], EngineConfig.Default.Piece.Parts);
        EngineConfig swapped = EngineConfig.Parse("""{ "piece": { "parts": ["knot", "cubic", "cubic", "knot"] } }""", "c.json");
        Assert.Equal(["knot", "cubic", "cubic", "knot"], swapped.Piece.Parts);
        Assert.NotEqual(EngineConfig.Default, swapped);
        Assert.Equal(swapped, EngineConfig.Parse(swapped.ToJson(), "c.json"));
        Assert.Contains("\"parts\": [", swapped.ToJson());
    }

    /// <summary>
    /// Each JSON kind where the key wants another: the key exists in the printed defaults (so a
    /// renamed key fails here instead of passing on "unknown key") and the message says what it must be.
    /// </summary>
    [Theory]
    [InlineData("detune.cubicMultiplier", "\"lots\"", "must be a number")]   // string for a number
    [InlineData("piece.bassSplit", "[48]", "must be a number")]             // array for a number
    [InlineData("master.gainDb", "{ \"db\": -6 }", "must be a number")]      // object for a number
    [InlineData("voice.partials", "null", "must be a number")]               // null for a number
    [InlineData("learning.knot.batchSize", "true", "must be a number")]      // boolean for a number
    [InlineData("learning.loss", "3", "must be one of \"halfMse\", \"meanAbsolute\"")] // number for a name
    [InlineData("learning.loss", "null", "must be one of")]                  // null for a name
    [InlineData("learning.cubic", "0.01", "must be an object")]              // number for a section
    [InlineData("voice", "[]", "must be an object")]                        // array for a section
    [InlineData("detune", "\"lots\"", "must be an object")]                 // string for a section
    [InlineData("piece", "null", "must be an object")]                      // null for a section
    public void A_value_of_the_wrong_type_names_the_key_and_the_type_it_must_be(string key, string value, string expected)
    {
        string[] path = key.Split('.');
        using (var defaults = System.Text.Json.JsonDocument.Parse(EngineConfig.Default.ToJson()))
        {
            System.Text.Json.JsonElement e = defaults.RootElement;
            foreach (string part in path)
                Assert.True(e.TryGetProperty(part, out e), $"'{key}' is not a key of the config: the test has gone stale");
        }
        string json = value;
        for (int i = path.Length - 1; i >= 0; i--) json = $"{{ \"{path[i]}\": {json} }}";

        var error = Assert.Throws<ConfigException>(() => EngineConfig.Parse(json, "c.json"));
        Assert.StartsWith($"c.json: '{key}' {expected}", error.Message);
        Assert.DoesNotContain("unknown key", error.Message);
    }
}
