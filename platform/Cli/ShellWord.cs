namespace Losses.Platform.Cli;

/// <summary>A word for a POSIX shell line a person will paste: left bare when it is plainly safe, single-quoted otherwise.</summary>
public static class ShellWord
{
    public static string Quote(string word)
    {
        // A relative path starting with '-' would read as an option: "./" in front keeps it a path.
        if (word.StartsWith('-')) word = "./" + word;
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or ',' or ':' or '@' or '%'))
            return word;
        // Inside single quotes nothing is special but the quote itself: end the quoting, an escaped quote, quote again.
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }
}
