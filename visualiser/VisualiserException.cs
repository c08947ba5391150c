namespace Losses.Visualiser;

/// <summary>Something the user can fix: the message is the one line printed after "losses: ".</summary>
public class VisualiserException(string message) : Exception(message);
