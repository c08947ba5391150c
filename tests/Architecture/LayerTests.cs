using System.Reflection;
using Xunit.Abstractions;

namespace Losses.Tests.Architecture;

/// <summary>
/// The engine is layered one way (docs/architecture.md): each folder (namespace) may use the ones
/// listed for it and nothing above. The rules are read from the compiled code, so a qualified or
/// relative name counts as much as a <c>using</c>.
/// </summary>
public class LayerTests(ITestOutputHelper output)
{
    private const string Platform = "(platform)", Protocol = "(protocol)";

    /// <summary>What each layer of the engine may use besides itself: the table docs/architecture.md draws.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> EngineRules = new Dictionary<string, string[]>
    {
        ["Core"] = [],
        ["Learning"] = ["Core"],
        ["Config"] = ["Core", Platform],
        ["Midi"] = ["Core", Platform],
        ["Synthesis"] = ["Core", "Config", Platform],
        ["Parts"] = ["Core", "Config", "Learning", "Synthesis", "Midi", Platform],
        ["Audio"] = ["Core", "Config", "Learning", "Synthesis", "Midi", "Parts", Platform, Protocol],
        ["Osc"] = ["Core", "Config", Platform, Protocol],
        ["PluginState"] = ["Core", "Config", Platform, Protocol],
        ["Live"] = ["Core", "Config", "Learning", "Synthesis", "Midi", "Parts", "Audio", "Osc", Platform, Protocol],
        ["Cli"] = ["Core", "Config", "Learning", "Synthesis", "Midi", "Parts", "Audio", "Osc", "PluginState", "Live", Platform, Protocol],
        [""] = ["Cli"],
    };

    /// <summary>The layer a namespace of the engine, protocol or platform belongs to.</summary>
    public static string LayerOf(string ns) => ns switch
    {
        _ when ns.StartsWith("Losses.Platform", StringComparison.Ordinal) => Platform,
        _ when ns.StartsWith("Losses.Protocol", StringComparison.Ordinal) => Protocol,
        "Losses.Engine" => "",
        _ when ns.StartsWith("Losses.Engine.", StringComparison.Ordinal) => ns["Losses.Engine.".Length..].Split('.')[0],
        _ => ns,
    };

    /// <summary>The edges the rules forbid (a layer with no rule is itself a violation: a new folder gets its line in the table).</summary>
    public static List<string> Violations(IEnumerable<DependencyScan.Edge> edges, IReadOnlyDictionary<string, string[]> rules, Func<string, string> layerOf)
    {
        var wrong = new List<string>();
        foreach (DependencyScan.Edge e in edges)
        {
            string from = layerOf(e.From), to = layerOf(e.To);
            if (from == to) continue;
            if (!rules.TryGetValue(from, out string[]? allowed))
                wrong.Add($"{e.From}: a layer with no rule (add it to the table): uses {e.To} ({e.FromType} → {e.ToType})");
            else if (Array.IndexOf(allowed, to) < 0)
                wrong.Add($"{from} → {to}: {e.FromType} uses {e.ToType}");
        }
        return wrong;
    }

    [Fact]
    public void The_engine_uses_each_layer_only_from_above()
    {
        Assembly engine = typeof(Losses.Engine.Audio.LossesProcessor).Assembly;
        IReadOnlyList<DependencyScan.Edge> edges = DependencyScan.Edges(engine, "losses-engine", "Losses.Protocol", "Losses.Platform");
        foreach (var g in edges.GroupBy(e => LayerOf(e.From)).OrderBy(g => g.Key))
            output.WriteLine($"{(g.Key.Length == 0 ? "(root)" : g.Key)} → {string.Join(", ", g.Select(e => LayerOf(e.To)).Where(t => t != g.Key).Distinct().Order())}");
        Assert.True(edges.Count > 20, $"only {edges.Count} edges found: the scan reads too little");
        List<string> wrong = Violations(edges, EngineRules, LayerOf);
        Assert.True(wrong.Count == 0, "wrong-way references:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void A_planted_wrong_way_reference_is_found_wherever_the_source_names_it()
    {
        IReadOnlyList<DependencyScan.Edge> edges = DependencyScan.Edges(typeof(LayerTests).Assembly, "Losses.Tests")
            .Where(e => e.From.StartsWith("Losses.Tests.Architecture.Planted", StringComparison.Ordinal)).ToList();
        var rules = new Dictionary<string, string[]> { ["Below"] = [], ["Above"] = ["Below"] };
        static string Layer(string ns) => ns.Split('.')[^1];
        List<string> wrong = Violations(edges, rules, Layer);
        foreach (string w in wrong) output.WriteLine(w);
        // Each of the planted references is found on its own: a field's type, a call in a body, a local, a constructor.
        foreach (string user in new[] { "ByField", "ByCall", "ByLocal", "ByNew" })
            Assert.Contains(wrong, w => w.StartsWith("Below → Above", StringComparison.Ordinal) && w.Contains($"Planted.Below.{user}", StringComparison.Ordinal));
        Assert.DoesNotContain(wrong, w => w.StartsWith("Above", StringComparison.Ordinal));
    }

    [Fact]
    public void Protocol_and_platform_depend_on_nothing_of_the_programs()
    {
        static string[] Losses(Assembly a) => [.. a.GetReferencedAssemblies().Select(n => n.Name!).Where(n => n.StartsWith("Losses", StringComparison.Ordinal) || n.StartsWith("losses", StringComparison.Ordinal))];
        Assembly protocol = typeof(Losses.Protocol.Frame).Assembly, platform = typeof(Losses.Platform.Limits).Assembly;
        Assert.Equal(["Losses.Platform"], Losses(protocol));
        Assert.Empty(Losses(platform));
        Assert.DoesNotContain("losses-engine", Losses(typeof(Losses.Visualiser.Scenes.VisualState).Assembly));
    }
}
