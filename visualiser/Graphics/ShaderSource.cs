using System.Reflection;
using System.Text.Json;

namespace Losses.Visualiser.Graphics;

/// <summary>
/// The GLSL of visualiser/Shaders, embedded in this assembly, with the native host's preamble. The
/// browser page builds the same programs from the same files (visualiser/Shaders/README.md).
/// </summary>
internal static class ShaderSource
{
    public const string NativePreamble = "#version 330 core\n";

    private static readonly Dictionary<string, (string[] Vertex, string[] Fragment)> Programs = LoadManifest();

    /// <summary>A shader file's text, as embedded.</summary>
    public static string File(string name)
    {
        using Stream stream = typeof(ShaderSource).Assembly.GetManifestResourceStream("Shaders/" + name)
            ?? throw new InvalidOperationException($"shader {name} is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The vertex and fragment sources of a program of programs.json, preamble first.</summary>
    public static (string Vertex, string Fragment) Program(string name)
    {
        (string[] vertex, string[] fragment) = Programs[name];
        return (Join(vertex), Join(fragment));
    }

    private static string Join(string[] files) => NativePreamble + string.Concat(files.Select(f => File(f) + "\n"));

    private static Dictionary<string, (string[], string[])> LoadManifest()
    {
        using JsonDocument doc = JsonDocument.Parse(File("programs.json"));
        var programs = new Dictionary<string, (string[], string[])>();
        foreach (JsonProperty p in doc.RootElement.EnumerateObject())
            programs[p.Name] = (Names(p.Value, "vertex"), Names(p.Value, "fragment"));
        return programs;
    }

    private static string[] Names(JsonElement program, string stage) =>
        program.GetProperty(stage).EnumerateArray().Select(e => e.GetString() ?? "").ToArray();
}
