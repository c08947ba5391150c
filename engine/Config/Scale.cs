using System.Globalization;
using Losses.Platform;

namespace Losses.Engine.Config;

/// <summary>
/// The scale a config's 'tuning.scale' names: its ratios within a period, degree 0 first (null for
/// twelve-tone equal temperament, which the synthesis computes in float as it always has). Read and
/// checked when the config is, so a wrong scale is a config error; Synthesis.Tuning lays it out on the keys.
/// </summary>
public sealed record Scale(string Name, double[]? Ratios, double Period)
{
    /// <summary>The tunings the reference synth could switch between live, as SuperCollider's Tuning class defines them.</summary>
    public static readonly string[] Names = ["equal", "et12", "just", "pythagorean", "lu", "wcHarm", "reinhard", "perret", "catler"];

    /// <summary>The scale a config names: equal, one of <see cref="Names"/>, or a Scala .scl file (read and checked here).</summary>
    public static Scale From(TuningSettings settings)
    {
        string scale = settings.Scale;
        if (scale == "equal") return new Scale("equal", null, 2.0);
        double[]? ratios = NamedRatios(scale);
        if (ratios is not null) return new Scale(scale, ratios, 2.0);
        if (!scale.EndsWith(".scl", StringComparison.OrdinalIgnoreCase))
            throw new ConfigException($"'tuning.scale' = \"{scale}\": use one of {string.Join(", ", Names)}, or a Scala file ending in .scl");
        (double[] scl, double period, string name) = ReadScala(scale);
        return new Scale(name, scl, period);
    }

    /// <summary>Ratios of SuperCollider's named tunings (SCClassLibrary Scale.sc, Tuning.all), degree 0 first.</summary>
    private static double[]? NamedRatios(string name) => name switch
    {
        "et12" => Enumerable.Range(0, 12).Select(k => Math.Pow(2, k / 12.0)).ToArray(),
        "just" => [1, 16.0 / 15, 9.0 / 8, 6.0 / 5, 5.0 / 4, 4.0 / 3, 45.0 / 32, 3.0 / 2, 8.0 / 5, 5.0 / 3, 9.0 / 5, 15.0 / 8],
        "pythagorean" => [1, 256.0 / 243, 9.0 / 8, 32.0 / 27, 81.0 / 64, 4.0 / 3, 729.0 / 512, 3.0 / 2, 128.0 / 81, 27.0 / 16, 16.0 / 9, 243.0 / 128],
        // SuperCollider's Shi-er-lu has 729/612 at degree 6 (most likely meant 729/512); kept, as the reference synth sounds it.
        "lu" => [1, 2187.0 / 2048, 9.0 / 8, 19683.0 / 16384, 81.0 / 64, 177147.0 / 131072, 729.0 / 612, 3.0 / 2, 6561.0 / 4096, 27.0 / 16, 59049.0 / 32768, 243.0 / 128],
        "wcHarm" => [1, 17.0 / 16, 9.0 / 8, 19.0 / 16, 5.0 / 4, 21.0 / 16, 11.0 / 8, 3.0 / 2, 13.0 / 8, 27.0 / 16, 7.0 / 4, 15.0 / 8],
        "reinhard" => [1, 14.0 / 13, 13.0 / 12, 16.0 / 13, 13.0 / 10, 18.0 / 13, 13.0 / 9, 20.0 / 13, 13.0 / 8, 22.0 / 13, 13.0 / 7, 208.0 / 105],
        "perret" => [1, 21.0 / 20, 35.0 / 32, 9.0 / 8, 7.0 / 6, 6.0 / 5, 5.0 / 4, 21.0 / 16, 4.0 / 3, 7.0 / 5, 35.0 / 24, 3.0 / 2, 63.0 / 40, 8.0 / 5, 5.0 / 3, 7.0 / 4, 9.0 / 5, 15.0 / 8, 63.0 / 32],
        "catler" => [1, 33.0 / 32, 16.0 / 15, 9.0 / 8, 8.0 / 7, 7.0 / 6, 6.0 / 5, 128.0 / 105, 16.0 / 13, 5.0 / 4, 21.0 / 16, 4.0 / 3, 11.0 / 8, 45.0 / 32, 16.0 / 11, 3.0 / 2, 8.0 / 5, 13.0 / 8, 5.0 / 3, 27.0 / 16, 7.0 / 4, 16.0 / 9, 24.0 / 13, 15.0 / 8],
        _ => null,
    };

    /// <summary>
    /// A Scala scale file (https://www.huygens-fokker.org/scala/scl_format.html): '!' lines are
    /// comments; then a description line, the number of pitches N, and N pitches — cents when the
    /// value has a '.', else a ratio a/b or a whole number; the last pitch is the period. Any text
    /// after a pitch's value is ignored. Every mistake is one line naming the file and line.
    /// </summary>
    /// <summary>The largest .scl read: the biggest of the Scala archive's 5000 scales is a few kilobytes.</summary>
    public const long MaxScalaBytes = 256 << 10;

    /// <summary>The lines of a text, as File.ReadAllLines reads them (\n, \r\n or \r; no empty line after the last break).</summary>
    private static string[] Lines(string text)
    {
        var lines = new List<string>();
        using var reader = new StringReader(text);
        while (reader.ReadLine() is string line) lines.Add(line);
        return [.. lines];
    }

    private static (double[] Ratios, double Period, string Name) ReadScala(string path)
    {
        string[] lines;
        try { lines = Lines(Losses.Platform.InputFile.ReadAllText(path, "the Scala tuning", MaxScalaBytes)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The checks' own lines (a pipe, a device, a folder, too large) already name the file.
            throw new ConfigException(e is not FileNotFoundException && e.Message.StartsWith(path + ":", StringComparison.Ordinal) ? e.Message : $"{path}: cannot read the Scala tuning ({e.Message})");
        }
        var content = lines.Select((text, i) => (Text: text.Trim(), Line: i + 1)).Where(l => !l.Text.StartsWith('!')).ToList();
        if (content.Count < 2) throw new ConfigException($"{path}: not a Scala .scl file (needs a description line and a pitch count)");
        string description = content[0].Text;
        string countText = content[1].Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        if (!int.TryParse(countText, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1 || count > 1024)
            throw new ConfigException($"{path}: line {content[1].Line}: the pitch count must be a whole number 1..1024, not '{content[1].Text}'");
        if (content.Count - 2 < count)
            throw new ConfigException($"{path}: {count} pitches announced, {content.Count - 2} found");
        var ratios = new double[count];
        ratios[0] = 1;
        double period = 2;
        for (int i = 0; i < count; i++)
        {
            (string text, int line) = content[2 + i];
            string value = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
            double ratio = Pitch(value);
            if (!(ratio > 0) || double.IsInfinity(ratio))
                throw new ConfigException($"{path}: line {line}: '{text}' is not a pitch (cents like 701.955, or a positive ratio like 3/2)");
            if (i == count - 1) period = ratio;
            else ratios[i + 1] = ratio;
        }
        if (period <= 1) throw new ConfigException($"{path}: the last pitch is the period and must rise (ratio above 1), not {period}");
        return (ratios, period, description.Length > 0 ? description : Path.GetFileName(path));
    }

    private static double Pitch(string value)
    {
        var inv = CultureInfo.InvariantCulture;
        if (value.Contains('.'))
            return double.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, inv, out double cents) ? Math.Pow(2, cents / 1200) : double.NaN;
        string[] parts = value.Split('/');
        if (parts.Length > 2 || !long.TryParse(parts[0], NumberStyles.None, inv, out long a)) return double.NaN;
        if (parts.Length == 1) return a;
        return long.TryParse(parts[1], NumberStyles.None, inv, out long b) && b > 0 ? (double)a / b : double.NaN;
    }
}
