using Losses.Platform.Cli;

namespace Losses.Protocol;

/// <summary>The command-line convention's ring option.</summary>
public static class RingOption
{
    /// <summary>A ring name, checked here, so a bad one is exit 2 in every program.</summary>
    public static string Ring(this OptionReader option)
    {
        string name = option.Value();
        return RingLayout.NameProblem(name) is string problem ? throw option.Error($"{option.Name} {problem}") : name;
    }

    /// <summary>Whether an exception is the protocol's one-line failure (a ring or frame log that cannot be used): exit 1, not a crash.</summary>
    public static bool IsProtocolFailure(Exception e) => e is RingException or FrameLogException;
}
