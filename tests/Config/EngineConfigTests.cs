using Losses.Engine.Config;
using Losses.Engine.Core;
using Losses.Engine.Learning;

namespace Losses.Tests.Config;

public class EngineConfigTests
{
    [Fact]
    public void The_printed_defaults_read_back_as_the_defaults()
    {
        EngineConfig back = EngineConfig.Parse(EngineConfig.Default.ToJson(), "defaults.json");
        Assert.Equal(EngineConfig.Default.ToJson(), back.ToJson());
    }

    /// <summary>A preset inside its own limits: a recorded session's config.json or a plugin state of it reads back.</summary>
    [Theory]
    [InlineData("ldd")]
    public void A_printed_preset_reads_back_as_the_preset(string preset)
    {
        Assert.Contains(preset, EngineConfig.PresetNames);
        EngineConfig config = EngineConfig.FromPreset(preset);
        Assert.Equal(config.ToJson(), EngineConfig.Parse(config.ToJson(), "preset.json").ToJson());
    }

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
    public void Bad_values_name_the_key(string json, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => EngineConfig.Parse(json, "c.json"));
        Assert.StartsWith("c.json: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
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
