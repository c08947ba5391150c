namespace Losses.Visualiser;

/// <summary>Something the user can fix: the message is the one line printed after "losses: ".</summary>
public class VisualiserException(string message) : Exception(message);

/// <summary>A bad command line (exit code 2).</summary>
public sealed class UsageException(string message) : VisualiserException(message);
