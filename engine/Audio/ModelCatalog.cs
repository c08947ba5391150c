using Losses.Engine.Config;
using Losses.Engine.Learning;
using Losses.Engine.Parts;
using Losses.Protocol;

namespace Losses.Engine.Audio;

/// <summary>
/// A model the engine can play: its name in the config (<c>piece.parts</c>), its kind on the wire
/// (the frame's <see cref="Frame.Model"/>, which the visuals draw it by), the rule of its parts, and
/// how the config builds it, stops it and scales its detune.
/// </summary>
public sealed record ModelEntry(
    string Name,
    FrameModel Wire,
    PartRule Rule,
    Func<EngineConfig, Model> Create,
    Func<EngineConfig, float> StopLoss,
    Func<EngineConfig, float> DetuneMultiplier);

/// <summary>
/// The models the piece can name, and where the piece's models meet the wire: a new model is one
/// <see cref="Model"/> subclass and one entry here (docs/architecture.md, "Adding a model").
/// </summary>
public sealed class ModelCatalog
{
    private readonly ModelEntry[] _entries;

    private ModelCatalog(ModelEntry[] entries) => _entries = entries;

    /// <summary>The cubic (parts 1 and 4 by default) and the knot (parts 2 and 3).</summary>
    public static ModelCatalog BuiltIn { get; } = new([
        new ModelEntry("cubic", FrameModel.Cubic, PartRule.BassNote,
            c => new CubicModel(c.Learning.Cubic.Points, c.Learning.Loss, c.Learning.Cubic.LearningRate, c.Learning.Cubic.Descent, c.Learning.Cubic.BatchSize),
            c => c.Learning.StopLoss,
            c => c.Detune.CubicMultiplier),
        new ModelEntry("knot", FrameModel.Knot, PartRule.Chord,
            c => new KnotModel(c.Learning.Knot.BatchSize, c.Learning.Loss, c.Learning.Knot.LearningRate,
                c.Learning.Knot.TMax, c.Learning.Knot.TStep, c.Learning.Knot.MaxFrequency, c.Learning.Knot.MinFrequency)
            { SumOverAxes = c.Learning.Knot.SumOverAxes },
            c => c.Learning.Knot.StopLoss ?? c.Learning.StopLoss,
            c => c.Detune.KnotMultiplier),
    ]);

    public IEnumerable<string> Names => _entries.Select(e => e.Name);

    /// <summary>This catalog and <paramref name="entry"/> (a model of a test or an experiment).</summary>
    public ModelCatalog With(ModelEntry entry)
    {
        if (_entries.Any(e => e.Name == entry.Name || e.Wire == entry.Wire))
            throw new ArgumentException($"the catalog has a model named '{entry.Name}' or of wire kind {(int)entry.Wire} already", nameof(entry));
        return new([.. _entries, entry]);
    }

    /// <summary>The entry named <paramref name="name"/>; a config naming another model is refused with the names there are.</summary>
    public ModelEntry Find(string name) =>
        _entries.FirstOrDefault(e => e.Name == name)
        ?? throw new ConfigException($"'piece.parts' names the model '{name}', which is not one of {string.Join(", ", Names.Select(n => '"' + n + '"'))}");

    /// <summary>The four parts' models for <paramref name="config"/>: one model object per name, shared by the parts that name it.</summary>
    public PieceModel[] PartsFor(EngineConfig config)
    {
        var built = new Dictionary<string, PieceModel>(StringComparer.Ordinal);
        var parts = new PieceModel[config.Piece.Parts.Count];
        for (int p = 0; p < parts.Length; p++)
        {
            string name = config.Piece.Parts[p];
            if (!built.TryGetValue(name, out PieceModel? model))
            {
                ModelEntry entry = Find(name);
                model = new PieceModel(name, entry.Create(config), entry.Rule, entry.StopLoss(config), entry.DetuneMultiplier(config));
                built.Add(name, model);
            }
            parts[p] = model;
        }
        return parts;
    }

    /// <summary>The wire kind of the model named <paramref name="name"/>.</summary>
    public FrameModel WireOf(string name) => Find(name).Wire;
}
