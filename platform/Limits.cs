using System.Globalization;

namespace Losses.Platform;

/// <summary>
/// Bounds on work planned from a file: a render or a video is refused before anything is written
/// when what its input asks for is beyond what a performance can be (a corrupt or hostile file).
/// </summary>
public static class Limits
{
    /// <summary>The longest performance rendered without --max-seconds: 4 hours (no concert is longer; a WAV at 48 kHz holds 3.1 h).</summary>
    public const double DefaultMaxSeconds = 4 * 3600;

    /// <summary>The most --max-seconds may say (11.6 days): beyond it no file is a performance.</summary>
    public const double HighestMaxSeconds = 1e6;

    /// <summary>What to do about a length beyond the limit: raise it, or (beyond any limit) distrust the file.</summary>
    public static string RaiseHint(double seconds) => seconds <= HighestMaxSeconds
        ? string.Create(CultureInfo.InvariantCulture, $"if that is really the performance, raise it with --max-seconds {Math.Ceiling(seconds)}")
        : "no performance is that long: the file is damaged or not a performance";

    /// <summary>Sample rates the engine, the plugin, a render and a frame log may have: the one range every check uses.</summary>
    public const int MinSampleRate = 8000, MaxSampleRate = 384000;

    /// <summary>The range as a message writes it: "8000..384000".</summary>
    public static readonly string SampleRates = $"{MinSampleRate}..{MaxSampleRate}";

    /// <summary>Whether a host's or driver's rate is inside <see cref="MinSampleRate"/>..<see cref="MaxSampleRate"/> (NaN is not).</summary>
    public static bool IsSampleRate(double hz) => hz >= MinSampleRate && hz <= MaxSampleRate;

    /// <summary>A length in words a performer reads at a glance: "35.0 s", "12 min", "4.0 h", "12.3 days".</summary>
    public static string Duration(double seconds)
    {
        var inv = CultureInfo.InvariantCulture;
        double a = Math.Abs(seconds);
        string text = a < 120 ? string.Create(inv, $"{a:0.0} s")
            : a < 7200 ? string.Create(inv, $"{a / 60:0.#} min")
            : a < 3 * 86400 ? string.Create(inv, $"{a / 3600:0.0} h")
            : a < 3650 * 86400 ? string.Create(inv, $"{a / 86400:0.0} days")
            : string.Create(inv, $"{a / (365.25 * 86400):#,0} years");
        return seconds < 0 ? "−" + text : text;
    }

    /// <summary>Bytes in words: "512 KB", "1.2 GB".</summary>
    public static string Bytes(double bytes) => bytes switch
    {
        < 1e6 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e3:0} KB"),
        < 1e9 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e6:0.0} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1e9:0.0} GB"),
    };

    /// <summary>
    /// Refuses to start writing <paramref name="outputs"/> (path, bytes at most) when a file
    /// system they land on has less space free than they would take together.
    /// </summary>
    public static void CheckFreeSpace(params (string Path, long Bytes)[] outputs)
    {
        foreach (var group in outputs.GroupBy(o => FileSystemOf(o.Path)))
        {
            long needed = group.Sum(o => o.Bytes);
            string dir = Path.GetDirectoryName(Path.GetFullPath(group.First().Path))!;
            long free;
            try
            {
                free = new DriveInfo(dir).AvailableFreeSpace;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                continue; // not a file system we can ask: the write itself will say
            }
            if (needed > free)
                throw new LimitException($"not enough disk space: {string.Join(" + ", group.Select(o => Path.GetFileName(o.Path)))} need up to {Bytes(needed)}, {dir} has {Bytes(free)} free — free some space or write elsewhere");
        }
    }

    private static ulong FileSystemOf(string path)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return !OperatingSystem.IsWindows() && Posix.TryStat(dir, out FileStatus s) ? s.Device : (ulong)dir.GetHashCode();
    }
}

/// <summary>Work beyond a limit: one line saying what and how to allow it; exit 1.</summary>
public sealed class LimitException(string message) : Exception(message);
