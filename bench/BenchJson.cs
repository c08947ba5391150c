using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Losses.Engine.Audio;

namespace Losses.Bench;

/// <summary>Bench results as JSON the way the engine writes its summaries (its generated settings), for bench's own row types too (reflection: bench runs on the JIT).</summary>
internal static class BenchJson
{
    public static readonly JsonSerializerOptions Options = new(SummaryJson.Default.Options) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
}
