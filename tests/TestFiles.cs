namespace Losses.Tests;

/// <summary>
/// Where the test performances live: $LOSSES_PERFORMANCES, else shared/performances beside or
/// above the repository, else the copy kept in tests/performances for clones without it.
/// </summary>
public static class TestFiles
{
    public static string PerformancesDir { get; } = Find();

    public static string FourParts => Path.Combine(PerformancesDir, "four-parts.mid");

    private static string Find()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("LOSSES_PERFORMANCES");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(Path.Combine(fromEnv, "four-parts.mid"))) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "performances");
            if (File.Exists(Path.Combine(candidate, "four-parts.mid"))) return candidate;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "performances");
            if (File.Exists(Path.Combine(candidate, "four-parts.mid"))) return candidate;
        }
        throw new FileNotFoundException("shared/performances/four-parts.mid not found above the test folder; set LOSSES_PERFORMANCES");
    }
}
