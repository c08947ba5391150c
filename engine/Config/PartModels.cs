using System.Collections;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Losses.Engine.Config;

/// <summary>
/// <c>piece.parts</c>: the model each part trains, by name, parts 1 to 4 — a list compared by its
/// names (so configs that say the same are equal), written as a JSON array.
/// </summary>
[CollectionBuilder(typeof(PartModels), nameof(Create))]
[JsonConverter(typeof(PartModelsJson))]
public sealed class PartModels : IReadOnlyList<string>, IEquatable<PartModels>
{
    private readonly string[] _names;

    private PartModels(string[] names) => _names = names;

    public static PartModels Create(ReadOnlySpan<string> names) => new(names.ToArray());

    public string this[int index] => _names[index];
    public int Count => _names.Length;
    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)_names).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public bool Equals(PartModels? other) => other is not null && _names.AsSpan().SequenceEqual(other._names);
    public override bool Equals(object? obj) => Equals(obj as PartModels);
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (string name in _names) hash.Add(name, StringComparer.Ordinal);
        return hash.ToHashCode();
    }

    public override string ToString() => "[" + string.Join(", ", _names.Select(n => '"' + n + '"')) + "]";
}

/// <summary>A <see cref="PartModels"/> as the JSON array of its names.</summary>
public sealed class PartModelsJson : JsonConverter<PartModels>
{
    public override PartModels Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("a list of model names");
        var names = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            names.Add(reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException("a model name"));
        return PartModels.Create(names.ToArray());
    }

    public override void Write(Utf8JsonWriter writer, PartModels value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (string name in value) writer.WriteStringValue(name);
        writer.WriteEndArray();
    }
}
