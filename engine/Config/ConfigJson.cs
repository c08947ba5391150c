using System.Text.Json;
using System.Text.Json.Serialization;
using Losses.Engine.Core;

namespace Losses.Engine.Config;

/// <summary>
/// The config's JSON metadata, generated at compile time: the printer and the reader's key table
/// need no reflection, so the NativeAOT plugin reads and writes configs as the engine does.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    Converters = [typeof(CamelCaseEnum<CubicStepping>), typeof(CamelCaseEnum<KnotDetunes>), typeof(CamelCaseEnum<PartChange>), typeof(CamelCaseEnum<KnotStepping>),
        typeof(CamelCaseEnum<CubicDescent>), typeof(CamelCaseEnum<LossKind>), typeof(CamelCaseEnum<DetuneScale>)])]
[JsonSerializable(typeof(EngineConfig))]
internal sealed partial class ConfigJson : JsonSerializerContext;

/// <summary>An enum as its camel-cased name ("halfMse"), as the config file spells it.</summary>
internal sealed class CamelCaseEnum<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.CamelCase) where T : struct, Enum;
