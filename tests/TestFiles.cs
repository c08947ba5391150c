namespace Losses.Tests;

/// <summary>
/// Where the test performances live: $LOSSES_PERFORMANCES, else shared/performances beside or
/// above the repository, else the copy kept in tests/performances for clones without it.
/// </summary>
public static class TestFiles
{
    public static string FourParts => Path.Combine(PerformancesDir, "four-parts.mid");

    /// <summary>The repository root: the first folder above the test binaries holding Losses.sln.</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    // After RepositoryRoot: static initialisers run in textual order.
    public static string PerformancesDir { get; } = Find();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Losses.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"no Losses.sln above {AppContext.BaseDirectory}");
    }

    private static string Find()
    {
        string? fromEnv = Environment.GetEnvironmentVariable("LOSSES_PERFORMANCES");
        if (!string.IsNullOrEmpty(fromEnv) && File.Exists(Path.Combine(fromEnv, "four-parts.mid"))) return fromEnv;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "performances");
            if (File.Exists(Path.Combine(candidate, "four-parts.mid"))) return candidate;
        }
        string copy = Path.Combine(RepositoryRoot, "tests", "performances");
        if (File.Exists(Path.Combine(copy, "four-parts.mid"))) return copy;
        throw new FileNotFoundException("shared/performances/four-parts.mid not found above the test folder; set LOSSES_PERFORMANCES");
    }
}
