using Losses.Engine.Core;
using Losses.Platform;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Losses.Engine.Config;

/// <summary>A config value's allowed range; the loader names the key of any value outside it.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class LimitsAttribute(double min, double max) : Attribute
{
    public double Min { get; } = min;
    public double Max { get; } = max;
}

/// <summary>How the performer's keys and pedals drive the four parts.</summary>
public sealed record PieceSettings
{
    /// <summary>The engine's models, by the names <see cref="Parts"/> gives them.</summary>
    public static readonly string[] ModelNames = ["cubic", "knot"];

    /// <summary>
    /// The model each part trains, parts 1 to 4. Parts that name one model share it (its targets
    /// carry over). A model is played by its own rule: the cubic's bass notes, the knot's chords.
    /// </summary>
    public PartModels Parts { get; init; } = ["cubic", "knot", "knot", "cubic"];

    /// <summary>Parts 1 and 4: a note below this is a bass note (new cubic target); at or above, a gradient step.</summary>
    [Limits(1, 127)] public int BassSplit { get; init; } = 48;
    /// <summary>Parts 2 and 3: notes below this form the left-hand chord.</summary>
    [Limits(1, 127)] public int ChordSplit { get; init; } = 60;
    /// <summary>How many notes below the chord split, held together, make a chord.</summary>
    [Limits(1, 10)] public int ChordMinNotes { get; init; } = 2;
    /// <summary>A chord makes a new knot only this long after the previous new knot.</summary>
    [Limits(0, 600)] public float KnotIntervalSeconds { get; init; } = 2f;
    /// <summary>A press of this controller (value ≥ 64 after &lt; 64) advances the part 1→2→3→4→1. 67 = soft pedal.</summary>
    [Limits(0, 119)] public int PartPedalController { get; init; } = 67;
    /// <summary>This controller holds released notes (64 = sustain pedal).</summary>
    [Limits(0, 119)] public int SustainController { get; init; } = 64;
    [Limits(1, 4)] public int StartPart { get; init; } = 1;
    /// <summary>Parts 1 and 4: a gradient step per key press, or steps at the step rate while an upper note is held.</summary>
    public CubicStepping CubicStepping { get; init; } = CubicStepping.Press;
    /// <summary>Parts 2 and 3: which held notes the loss detunes.</summary>
    public KnotDetunes KnotDetunes { get; init; } = KnotDetunes.AllHeld;
    /// <summary>Whether a part change damps the sounding notes or lets them ring on.</summary>
    public PartChange PartChange { get; init; } = PartChange.Release;
    /// <summary>Parts 2 and 3: the knot steps at the step rate while a chord is held (default), or always once it has a target (the original piece).</summary>
    public KnotStepping KnotStepping { get; init; } = KnotStepping.WhileChordHeld;
    /// <summary>Whether the sustain pedal holds released notes (sounding, detuned, "held"); false: it is ignored (the original piece).</summary>
    public bool SustainHolds { get; init; } = true;
}

public enum KnotStepping
{
    /// <summary>While a chord is held (default).</summary>
    WhileChordHeld,

    /// <summary>At every tick of the step rate in parts 2 and 3, chord held or not (the original piece steps every video frame).</summary>
    Always,
}

public enum CubicStepping
{
    /// <summary>Each key press at or above the bass split is one step (default).</summary>
    Press,

    /// <summary>Steps at <see cref="LearningSettings.StepsPerSecond"/> while any upper note is held (the original piece).</summary>
    WhileHeld,
}

public enum KnotDetunes
{
    /// <summary>Every held note (default).</summary>
    AllHeld,

    /// <summary>Only the held notes below the chord split, the lowest three (the original piece).</summary>
    HeldBass,
}

public enum PartChange
{
    /// <summary>The soft pedal damps every sounding voice and forgets held keys (default).</summary>
    Release,

    /// <summary>Sounding notes ring on into the next part (the original piece).</summary>
    LetRing,
}

public sealed record CubicSettings
{
    /// <summary>
    /// null: the descent's own rate (the cubic model's: legendre 0.19 of
    /// the line-search step, newton 0.17, plain 1.0), so changing the descent never keeps a rate chosen for another.
    /// </summary>
    [Limits(1e-6, 1e6)] public float? LearningRate { get; init; }
    /// <summary>legendre (default): stochastic steepest descent in the orthonormal Legendre basis; newton: G⁻¹·∇L; plain: ∇L on a, b, c, d.</summary>
    public CubicDescent Descent { get; init; } = CubicDescent.Legendre;
    /// <summary>Points per step, drawn with replacement; 0: all of them; null: the descent's own (legendre 100 drawn with replacement, the others all, once each).</summary>
    [Limits(0, 4096)] public int? BatchSize { get; init; }

    /// <summary>At most 128: every frame carries all the points to the visualiser.</summary>
    [Limits(1, 128)] public int Points { get; init; } = 100;
}

public sealed record KnotSettings
{
    /// <summary>null: the knot model's own (0.1: a held chord's loss falls 100× in ≈ 2.3 s at 60 steps/s).</summary>
    [Limits(1e-6, 1e6)] public float? LearningRate { get; init; }
    [Limits(1, 4096)] public int BatchSize { get; init; } = 64;
    [Limits(0, 64)] public int MinFrequency { get; init; } = 1;
    [Limits(0, 64)] public int MaxFrequency { get; init; } = 8;
    [Limits(0.1, 1e4)] public float TMax { get; init; } = 100f;
    /// <summary>false: loss, gradient and residual are means over the three axes; true: summed over them (the original piece: 3× larger).</summary>
    public bool SumOverAxes { get; init; }
    /// <summary>Below this loss the knot stops stepping; null: <see cref="LearningSettings.StopLoss"/> (the original: 1e-6, the cubic's 0.001).</summary>
    [Limits(0, 1e3)] public float? StopLoss { get; init; }
    [Limits(1e-3, 100)] public float TStep { get; init; } = 0.1f;
}

public sealed record LearningSettings
{
    public LossKind Loss { get; init; } = LossKind.HalfMse;
    /// <summary>
    /// The step rate: steps per second while a chord (or, stepping while held, an upper note) is held, on a grid
    /// of the sample clock. Not the voice bank's control rate (a control point every 32 samples: <c>VoiceBank.ControlPeriod</c>).
    /// </summary>
    [Limits(0.1, 1000)] public float StepsPerSecond { get; init; } = 60f;
    /// <summary>
    /// Below this loss the model has converged and stops stepping. 0 (never stop): with the detune
    /// relative to each target's first loss, a small absolute threshold would freeze a target that
    /// started small while it is still audibly out of tune.
    /// </summary>
    [Limits(0, 1e3)] public float StopLoss { get; init; } = 0f;
    public CubicSettings Cubic { get; init; } = new();
    public KnotSettings Knot { get; init; } = new();
}

/// <summary>How a loss becomes the overtones' detune d (overtone k ≥ 2 sounds at k·f₀·(1 + d)).</summary>
public enum DetuneScale
{
    /// <summary>d ∝ loss / the target's first loss: every target starts at <see cref="DetuneSettings.StartCents"/> (default).</summary>
    FirstLoss,

    /// <summary>d = m·loss with the per-model multipliers (the seed's mapping).</summary>
    Absolute,

    /// <summary>d = m·mean(model − target): overtones go flat as well as sharp (the original piece).</summary>
    SignedResidual,
}

public sealed record DetuneSettings
{
    public DetuneScale Scale { get; init; } = DetuneScale.FirstLoss;
    /// <summary>
    /// The overtones' detune at a target's first loss, in cents (scale firstLoss); it then falls in
    /// proportion to the loss. 50 cents, a quarter tone: out of tune beyond doubt, yet still a chord.
    /// </summary>
    [Limits(0, 1200)] public float StartCents { get; init; } = 50f;
    /// <summary>Scale absolute: overtone k ≥ 2 sounds at k·f₀·(1 + m·loss); m while a cubic trains (parts 1, 4). Scale signedResidual: m·mean residual.</summary>
    [Limits(0, 10)] public float CubicMultiplier { get; init; } = 0.05f;
    /// <summary>
    /// m while a knot trains (parts 2, 3). Knot losses start ≈ 20× smaller than cubic ones (phases
    /// in [0, 1]), so the seed's m = 1 makes them as audible as the cubic's 0.05.
    /// </summary>
    [Limits(0, 10)] public float KnotMultiplier { get; init; } = 1f;
    /// <summary>Largest detune, either way (d is clamped to ±this).</summary>
    [Limits(0, 2)] public float Max { get; init; } = 0.5f;
}

/// <summary>Where the keys sound: a scale, laid out from a reference note at a reference frequency.</summary>
public sealed record TuningSettings
{
    /// <summary>"equal" (default), a SuperCollider tuning (et12, just, pythagorean, lu, wcHarm, reinhard, perret, catler), or a Scala .scl file.</summary>
    public string Scale { get; init; } = "equal";
    /// <summary>The key that sounds at <see cref="ReferenceHz"/>, and degree 0 of the scale.</summary>
    [Limits(0, 127)] public int ReferenceNote { get; init; } = 69;
    [Limits(1, 20000)] public double ReferenceHz { get; init; } = 440;
}

public sealed record MasterSettings
{
    /// <summary>0 dB puts four-parts.mid at about −18 LUFS integrated, a concert level with headroom.</summary>
    [Limits(-60, 12)] public float GainDb { get; init; } = 0f;
    /// <summary>Level where the soft limiter starts to bend towards the ceiling.</summary>
    [Limits(0.1, 0.99)] public float LimiterThreshold { get; init; } = 0.7f;
    /// <summary>The limiter's asymptote: the output never reaches it. 0.84 (−1.5 dBFS) keeps true peaks below −1 dBTP.</summary>
    [Limits(0.1, 1)] public float LimiterCeiling { get; init; } = 0.84f;
}

/// <summary>Everything the performer can set, loaded from a JSON file; defaults follow the reference performance.</summary>
public sealed record EngineConfig
{
    /// <summary>The preset the other keys start from (null: the defaults). Presets: "ldd".</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Preset { get; init; }
    public PieceSettings Piece { get; init; } = new();
    public LearningSettings Learning { get; init; } = new();
    public DetuneSettings Detune { get; init; } = new();
    public VoiceSettings Voice { get; init; } = new();
    public TuningSettings Tuning { get; init; } = new();
    public MasterSettings Master { get; init; } = new();

    public static EngineConfig Default { get; } = new();

    public static readonly string[] PresetNames = ["ldd"];

    /// <summary>
    /// A named starting point. "ldd": the original piece (psc-g/musicode, ldd/; docs/learning.md) —
    /// signed detune (the cubic's mean residual × 0.05, the knot's summed residual unscaled) with the
    /// amplitude following it (1 − d), the cubic stepping 60 times a second at lr 0.01 while upper
    /// notes are held and once at any note-on, the knot (loss and gradient summed over its axes, lr
    /// 0.025) stepping 60 times a second throughout parts 2 and 3, any single note below 60 a new
    /// knot (at most one per 2 s), only held bass notes detuned in the knot parts, knot integers
    /// 0..8, the sustain pedal ignored, amplitude 0.4 whatever the velocity, part changes that let
    /// notes ring. The original frees a released note at once, which clicks: here it fades in 5 ms.
    /// </summary>
    public static EngineConfig FromPreset(string name) => name switch
    {
        "ldd" => new EngineConfig
        {
            Preset = "ldd",
            Piece = new PieceSettings
            {
                ChordMinNotes = 1,
                CubicStepping = CubicStepping.WhileHeld,
                KnotDetunes = KnotDetunes.HeldBass,
                PartChange = PartChange.LetRing,
                KnotStepping = KnotStepping.Always,
                SustainHolds = false,
            },
            Learning = new LearningSettings
            {
                StopLoss = 1e-3f,
                Cubic = new CubicSettings { LearningRate = 0.01f, Descent = CubicDescent.Plain },
                Knot = new KnotSettings { LearningRate = 0.025f, MinFrequency = 0, MaxFrequency = 8, SumOverAxes = true, StopLoss = 1e-6f },
            },
            // The knot's residual unscaled; |d| up to 0.99 so no partial's frequency reaches zero.
            Detune = new DetuneSettings { Scale = DetuneScale.SignedResidual, CubicMultiplier = 0.05f, KnotMultiplier = 1f, Max = 0.99f },
            Voice = new VoiceSettings { FixedAmplitude = 0.4f, DetuneAmplitude = 1f, DampSeconds = 0.005f },
        },
        _ => throw new ConfigException($"unknown preset '{name}' (presets: {string.Join(", ", PresetNames)})"),
    };

    public string ToJson() => JsonSerializer.Serialize(this, ConfigJson.Default.EngineConfig);

    /// <summary>A config is a few kilobytes: anything past a megabyte is not one.</summary>
    public const long MaxFileBytes = 1 << 20;

    public static EngineConfig Load(string path, EngineConfig? start = null)
    {
        string name = Path.GetFileName(path);
        string text;
        try
        {
            text = InputFile.ReadAllText(path, "the config file", MaxFileBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The checks' own lines (a pipe, a device, a folder, too large) already name the file.
            throw new ConfigException(e is not FileNotFoundException && e.Message.StartsWith(path + ":", StringComparison.Ordinal) ? e.Message : $"{path}: cannot read the config file ({e.Message})");
        }
        // A Scala file named in the config is found beside it.
        return Parse(text, name, start, Path.GetDirectoryName(Path.GetFullPath(path)));
    }

    /// <summary>
    /// Reads a config; keys left out keep their defaults — or the preset's, when the file names one
    /// with "preset" or <paramref name="start"/> is given. Unknown keys, wrong types and out-of-range
    /// values are errors naming the key.
    /// </summary>
    public static EngineConfig Parse(string json, string name, EngineConfig? start = null, string? directory = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ConfigException($"{name}: not valid JSON ({e.Message.Split('\n')[0]})");
        }
        using (doc)
        {
            EngineConfig origin = start ?? new EngineConfig();
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("preset", out JsonElement preset)
                && preset.ValueKind != JsonValueKind.Null)
            {
                if (preset.ValueKind != JsonValueKind.String)
                    throw new ConfigException($"{name}: 'preset' must be one of {string.Join(", ", PresetNames.Select(n => '"' + n + '"'))}");
                try { origin = FromPreset(preset.GetString()!); }
                catch (ConfigException e) { throw new ConfigException($"{name}: {e.Message}"); }
            }
            JsonObject merged = JsonNode.Parse(origin.ToJson())!.AsObject();
            Overlay(doc.RootElement, ConfigJson.Default.EngineConfig, merged, "", name);
            EngineConfig config = merged.Deserialize(ConfigJson.Default.EngineConfig)!;
            string scale = config.Tuning.Scale;
            if (scale.EndsWith(".scl", StringComparison.OrdinalIgnoreCase) && directory is not null && !Path.IsPathRooted(scale))
                config = config with { Tuning = config.Tuning with { Scale = Path.Combine(directory, scale) } };
            config.Validate(name);
            return config;
        }
    }

    /// <summary>
    /// Checks the file's keys, types and limits against the generated key table (ConfigJson: no
    /// reflection, so NativeAOT keeps it) and lays each value over the starting config's JSON.
    /// </summary>
    private static void Overlay(JsonElement element, JsonTypeInfo type, JsonObject into, string path, string name)
    {
        if (element.ValueKind != JsonValueKind.Object)
            throw new ConfigException($"{name}: '{(path.Length == 0 ? "(top level)" : path)}' must be an object");
        foreach (JsonProperty property in element.EnumerateObject())
        {
            if (path.Length == 0 && property.Name == "preset") continue; // read first, by Parse
            string key = path.Length == 0 ? property.Name : path + "." + property.Name;
            JsonPropertyInfo? info = type.Properties.FirstOrDefault(p => p.Name == property.Name);
            if (info is null)
                throw new ConfigException($"{name}: unknown key '{key}' (see the README's config reference)");
            if (info.PropertyType == typeof(PartModels))
                into[property.Name] = ReadNames(property.Value, key, name);
            else if (info.PropertyType.IsClass && info.PropertyType != typeof(string))
                Overlay(property.Value, ConfigJson.Default.GetTypeInfo(info.PropertyType)!, into[property.Name]!.AsObject(), key, name);
            else
                into[property.Name] = ReadValue(property.Value, info, key, name);
        }
    }

    private static JsonArray ReadNames(JsonElement value, string key, string name)
    {
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            throw new ConfigException($"{name}: '{key}' must be a list of names, e.g. [\"cubic\", \"knot\", \"knot\", \"cubic\"]");
        return new JsonArray(value.EnumerateArray().Select(e => (JsonNode?)JsonValue.Create(e.GetString()!)).ToArray());
    }

    private static JsonNode? ReadValue(JsonElement value, JsonPropertyInfo info, string key, string name)
    {
        Type type = info.PropertyType;
        // A nullable key's null is its "unset" (the printed config shows it so).
        if (value.ValueKind == JsonValueKind.Null && Nullable.GetUnderlyingType(type) is not null) return null;
        if (type.IsEnum)
        {
            string[] names = Enum.GetNames(type).Select(n => JsonNamingPolicy.CamelCase.ConvertName(n)).ToArray();
            string? text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            if (text is null || Array.IndexOf(names, text) < 0)
                throw new ConfigException($"{name}: '{key}' must be one of {string.Join(", ", names.Select(n => '"' + n + '"'))}");
            return JsonValue.Create(text);
        }
        if (type == typeof(string))
        {
            if (value.ValueKind != JsonValueKind.String)
                throw new ConfigException($"{name}: '{key}' must be a string");
            return JsonValue.Create(value.GetString()!);
        }
        if (type == typeof(bool))
        {
            if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                throw new ConfigException($"{name}: '{key}' must be true or false");
            return JsonValue.Create(value.GetBoolean());
        }
        if (value.ValueKind != JsonValueKind.Number)
            throw new ConfigException($"{name}: '{key}' must be a number");
        double number = value.GetDouble();
        if ((type == typeof(int) || type == typeof(int?)) && number != Math.Floor(number))
            throw new ConfigException($"{name}: '{key}' must be a whole number, not {number}");
        var limits = (LimitsAttribute?)info.AttributeProvider?.GetCustomAttributes(typeof(LimitsAttribute), false).SingleOrDefault();
        if (limits is not null && (number < limits.Min || number > limits.Max || double.IsNaN(number)))
            throw new ConfigException($"{name}: '{key}' = {number} is out of range [{limits.Min}, {limits.Max}]");
        // Rounded to the key's type here, as a float or int field would hold it, so the text read back is that value.
        if (type == typeof(int) || type == typeof(int?)) return JsonValue.Create((int)number);
        if (type == typeof(float) || type == typeof(float?)) return JsonValue.Create((float)number);
        return JsonValue.Create(number);
    }

    private void ValidateTuning(string name)
    {
        try { Scale.From(Tuning); }
        catch (ConfigException e) when (!e.Message.Contains(".scl:"))
        {
            throw new ConfigException($"{name}: {e.Message}");
        }
    }

    private void Validate(string name)
    {
        ValidateTuning(name);
        if (Master.LimiterThreshold >= Master.LimiterCeiling)
            throw new ConfigException($"{name}: 'master.limiterThreshold' ({Master.LimiterThreshold}) must be below 'master.limiterCeiling' ({Master.LimiterCeiling})");
        if (Piece.Parts.Count != 4)
            throw new ConfigException($"{name}: 'piece.parts' names {Piece.Parts.Count} models; it must name 4, one for each part");
        foreach (string model in Piece.Parts)
            if (Array.IndexOf(PieceSettings.ModelNames, model) < 0)
                throw new ConfigException($"{name}: 'piece.parts' names the model '{model}', which is not one of {string.Join(", ", PieceSettings.ModelNames.Select(n => '"' + n + '"'))}");
        if (Voice.CutoffLowHz > Voice.CutoffHighHz)
            throw new ConfigException($"{name}: 'voice.cutoffLowHz' ({Voice.CutoffLowHz}) must not exceed 'voice.cutoffHighHz' ({Voice.CutoffHighHz})");
    }
}

public sealed class ConfigException(string message) : Exception(message);
