using System.Text.RegularExpressions;
using Losses.Tests.Cli;
using Xunit.Abstractions;

namespace Losses.Tests.Plugin;

/// <summary>
/// Debian's LV2 validator (`lv2_validate`, lv2-dev, over sordi's `sord_validate`) checks the bundle
/// and the presets and states made from it against the LV2 specifications, as a host's world holds
/// them: the plugin's bundle beside them.
/// </summary>
public partial class Lv2ValidateTests(ITestOutputHelper output)
{
    [GeneratedRegex(@"Found (\d+) errors among")]
    private static partial Regex Found();

    /// <summary>
    /// The validator on the plugin's bundle and <paramref name="files"/>: 0 errors. An Ardour session's
    /// plugin state (<paramref name="ardourSessionState"/>) is typed pset:Preset but saved by lilv with
    /// no rdfs:label, which pset:Preset requires: that one error is the host's, allowed; none may be
    /// about anything the plugin declares.
    /// </summary>
    public static string AssertValid(IEnumerable<string> files, bool ardourSessionState = false)
    {
        string[] bundle = Directory.GetFiles(PluginBundle.Bundle, "*.ttl");
        PluginBundle.Outcome r = PluginBundle.Run("lv2_validate", [], TimeSpan.FromMinutes(1), [.. bundle, .. files]);
        string text = r.Stdout + r.Stderr;
        Match found = Found().Match(text);
        Assert.True(found.Success, $"lv2_validate said no count (exit {r.ExitCode}):\n{text}");
        string[] errors = text.Split('\n').Where(l => l.StartsWith("error:", StringComparison.OrdinalIgnoreCase)).ToArray();
        Assert.DoesNotContain(errors, e => e.Contains("urn:losses", StringComparison.Ordinal));
        if (ardourSessionState)
            Assert.All(errors, e => Assert.Contains("rdf-schema#label", e));
        else
        {
            Assert.True(found.Groups[1].Value == "0", $"lv2_validate:\n{text}");
            Assert.Equal(0, r.ExitCode);
        }
        return found.Value;
    }

    [Fact]
    public void The_bundle_has_no_error()
    {
        output.WriteLine(AssertValid([]));
        Assert.Contains("urn:losses:lv2:instrument#settings", File.ReadAllText(Path.Combine(PluginBundle.Bundle, "losses.ttl")));
    }

    [Fact]
    public void A_plugin_preset_bundle_has_no_error()
    {
        string dir = EngineCli.TempDir();
        string config = Path.Combine(dir, "c.json"), preset = Path.Combine(dir, "Losses_v.preset.lv2");
        File.WriteAllText(config, """{ "master": { "gainDb": -3 } }""");
        EngineCli.Outcome r = EngineCli.Run("plugin-preset", "v", "--config", config, "--ring", "stage", "-o", preset);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string[] files = Directory.GetFiles(preset, "*.ttl");
        Assert.Equal(2, files.Length);
        output.WriteLine(AssertValid(files));
    }
}
