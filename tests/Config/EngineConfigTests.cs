using Losses.Engine.Config;
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
}
