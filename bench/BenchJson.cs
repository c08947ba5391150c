using System.Text.Json;
using Losses.Platform;

namespace Losses.Bench;

/// <summary>How the benchmarks write `--json`: camelCase, indented, one file written whole (PendingFile).</summary>
internal static class BenchJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase, WriteIndented = true };

    public static void Write<T>(string path, T value) => Platform.PendingFile.WriteAllText(path, JsonSerializer.Serialize(value, Options) + "\n");
}
