using System.Collections;
using System.Globalization;
using System.Text;

namespace Losses.Platform.Cli;

/// <summary>A wrong command line: one `losses:` line on stderr and <see cref="ExitCode.Usage"/>.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The exit codes of every program here (engine, visualiser, bench): the same mistake, the same code; the one top level that maps failures to them.</summary>
public static class ExitCode
{
    public const int Done = 0;
    /// <summary>The command line was fine but the work failed: bad input, I/O, a device or peer that went wrong.</summary>
    public const int Failed = 1;
    /// <summary>A bad command line: an unknown command or option, a missing or malformed value.</summary>
    public const int Usage = 2;

    /// <summary>
    /// Runs <paramref name="program"/>; a <see cref="UsageException"/> exits <see cref="ExitCode.Usage"/>, a
    /// <see cref="StoppedException"/> its own code, and any exception <paramref name="isFailure"/> accepts
    /// <see cref="ExitCode.Failed"/>. Anything else is a bug and is left to crash with its stack.
    /// </summary>
    public static int Run(Func<int> program, Func<Exception, bool> isFailure)
    {
        try
        {
            return program();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"losses: {e.Message}");
            return ExitCode.Usage;
        }
        catch (StoppedException e)
        {
            Console.Error.WriteLine($"losses: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LimitException || isFailure(e))
        {
            Console.Error.WriteLine($"losses: {e.Message}");
            return ExitCode.Failed;
        }
    }
}

/// <summary>One option (or, named without a dash, the operand) of a command: one line of help and what it sets.</summary>
public sealed record Option(string[] Names, string? Value, string Help, Action<OptionReader> Set)
{
    public bool IsOperand => !Names[0].StartsWith('-');
    public string Label => IsOperand ? Names[0] : string.Join(", ", Names) + (Value is null ? "" : " " + Value);
}

/// <summary>
/// One command of the project's command-line convention, written as a table: each option is one line
/// (names, value, help, what it sets), so parsing and help come from the same list. <c>-h</c> and
/// <c>--help</c> print the help to stdout; an unknown option, a missing value or a value that looks
/// like an option (starts with <c>--</c>, or is one of this command's option names) is a
/// <see cref="UsageException"/>. <see cref="Run"/> parses, then runs the command's body.
/// </summary>
/// <param name="notes">Lines printed after the options in the help (modes, keys, examples).</param>
/// <param name="hidden">Left out of the program's command list (a helper process's entry, not for people).</param>
public sealed class Command(string name, string synopsis, string summary, Func<int> body, string? notes = null, bool hidden = false)
    : IEnumerable<Option>
{
    private static readonly string[] HelpNames = ["-h", "--help"];
    private readonly List<Option> _options = [];

    /// <summary>As typed after "losses": "render", "bench voices", "visualise".</summary>
    public string Name { get; } = name;
    public string Synopsis { get; } = synopsis;
    public string Summary { get; } = summary;
    public bool Hidden { get; } = hidden;

    /// <summary>An option: <paramref name="names"/> like "-o|--output"; a null <paramref name="value"/> makes it a flag.
    /// Names without a dash declare the operand instead (every argument that is not an option).</summary>
    public void Add(string names, string? value, string help, Action<OptionReader> set) =>
        _options.Add(new Option(names.Split('|'), value, help, set));

    /// <summary>A flag: an option without a value.</summary>
    public void Add(string names, string help, Action set) => Add(names, null, help, _ => set());

    public IEnumerator<Option> GetEnumerator() => _options.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Parses <paramref name="args"/> (the arguments after the command's name) and runs the body; help exits 0.</summary>
    public int Run(IReadOnlyList<string> args) => Parse(args) ? body() : ExitCode.Done;

    /// <summary>Applies every option in order; false when help was asked for (and printed).</summary>
    public bool Parse(IReadOnlyList<string> args)
    {
        Option? operand = _options.Find(o => o.IsOperand);
        var reader = new OptionReader(this, args);
        while (reader.Next(out string arg))
        {
            if (HelpNames.Contains(arg))
            {
                Console.Out.Write(Help());
                return false;
            }
            Option? option = _options.Find(o => !o.IsOperand && o.Names.Contains(arg));
            if (option is null && (arg.StartsWith('-') && arg.Length > 1 || operand is null))
            {
                string? guess = arg.StartsWith('-') ? Suggestion.Closest(arg, _options.Where(o => !o.IsOperand).SelectMany(o => o.Names)) : null;
                throw reader.Error(arg.StartsWith('-') ? $"unknown option '{arg}'{(guess is null ? "" : $": did you mean {guess}?")} (try: losses {Name} --help)"
                                                        : $"unexpected argument '{arg}' (try: losses {Name} --help)");
            }
            reader.Current = option ?? operand!;
            reader.Typed = arg;
            reader.Current.Set(reader);
        }
        return true;
    }

    /// <summary>True when <paramref name="token"/> is one of this command's option names (so never an option's value).</summary>
    internal bool IsOptionName(string token) =>
        HelpNames.Contains(token) || _options.Exists(o => !o.IsOperand && o.Names.Contains(token));

    /// <summary>This command's help: usage, summary, one line per option, notes.</summary>
    public string Help()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"usage: losses {Name}{(Synopsis.Length > 0 ? " " + Synopsis : "")} [options]\n");
        text.Append(Summary).Append('\n');
        var rows = _options.Select(o => (Label: o.Label, o.Help)).Append((Label: "-h, --help", Help: "print this help")).ToList();
        int width = rows.Max(r => r.Label.Length) + 2;
        text.Append('\n');
        foreach (var (label, help) in rows) text.Append("  ").Append(label.PadRight(width)).Append(help).Append('\n');
        if (notes is not null) text.Append('\n').Append(notes.TrimEnd()).Append('\n');
        return text.ToString();
    }

    /// <summary>This command's lines in the program's list of commands: name, summary, then its options indented.</summary>
    internal void AppendSummary(StringBuilder text, int width)
    {
        string head = Synopsis.Length > 0 ? $"{Name} {Synopsis}" : Name;
        text.Append("  ").Append(head.PadRight(width)).Append(' ').Append(Summary).Append('\n');
        foreach (Option o in _options.Where(o => !o.IsOperand))
            text.Append("      ").Append(o.Label.PadRight(width - 4)).Append(' ').Append(o.Help).Append('\n');
    }
}

/// <summary>Reads the value of the option being parsed; every malformed value is a usage error naming the command and option.</summary>
public sealed class OptionReader
{
    private readonly Command _command;
    private readonly IReadOnlyList<string> _args;
    private int _index;

    internal OptionReader(Command command, IReadOnlyList<string> args)
    {
        _command = command;
        _args = args;
    }

    internal Option Current { get; set; } = null!;
    /// <summary>The option as typed ("-o" or "--output"), so the message names what the performer wrote.</summary>
    internal string Typed { get; set; } = "";
    /// <summary>The option as the message names it: as typed, or the operand's name.</summary>
    public string Name => Current.IsOperand ? Current.Names[0] : Typed;

    internal bool Next(out string arg)
    {
        if (_index >= _args.Count) { arg = ""; return false; }
        arg = _args[_index++];
        return true;
    }

    /// <summary>A usage error in this command's words: "render: …".</summary>
    public UsageException Error(string message) => new($"{_command.Name}: {message}");

    /// <summary>The option's value (the operand itself, for the operand); never an option name or anything starting with "--".</summary>
    public string Value()
    {
        if (Current.IsOperand) return _args[_index - 1];
        if (_index >= _args.Count || _args[_index].StartsWith("--", StringComparison.Ordinal) || _command.IsOptionName(_args[_index]))
            throw Error($"{Name} needs a value");
        return _args[_index++];
    }

    public int Int(int min, int max)
    {
        string text = Value();
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
            throw Error($"{Name} must be a whole number in {min}..{max}, not '{text}'");
        return value;
    }

    public ulong ULong()
    {
        string text = Value();
        if (!ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong value))
            throw Error($"{Name} must be a non-negative whole number, not '{text}'");
        return value;
    }

    public double Number(double min, double max)
    {
        string text = Value();
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= min && value <= max))
            throw Error(string.Create(CultureInfo.InvariantCulture, $"{Name} must be a number in {min}..{max}, not '{text}'"));
        return value;
    }

    /// <summary>A duration: positive and at most <see cref="Limits.HighestMaxSeconds"/>.</summary>
    public double Seconds()
    {
        string text = Value();
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0) || value > Limits.HighestMaxSeconds)
            throw Error($"{Name} must be a positive number of seconds, not '{text}'");
        return value;
    }

    /// <summary>A file path: empty or malformed is a usage error. <paramref name="what"/> names it in the message (default: the option).</summary>
    public string Path(string? what = null)
    {
        string path = Value();
        return OutputSet.PathProblem(path) is string problem ? throw Error($"{what ?? Name} {problem}") : path;
    }

    /// <summary>
    /// The type an output's extension names must be the type the command writes (render -o x.mp3 would be
    /// a WAV named .mp3): a usage error naming what to give. Call it once the path is known to be a file
    /// the command may write (a device or an input is refused before, with its own line).
    /// </summary>
    public static void CheckOutputType(string command, string option, string path, string type, params string[] extensions)
    {
        if (!extensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            throw new UsageException($"{command}: {option} {path}: {command} writes {type}: give a name ending in {string.Join(" or ", extensions)}");
    }
}

/// <summary>
/// A program's commands (the engine's, the bench's) under the one convention: no arguments, <c>help</c>,
/// <c>-h</c> or <c>--help</c> print the list of commands (exit 0); <c>help COMMAND</c> or
/// <c>COMMAND --help</c> one command's help; an unknown command is a usage error.
/// </summary>
/// <param name="notes">Lines printed after the commands (commands the launcher runs, pointers).</param>
/// <param name="elsewhere">Commands another program runs (the launcher's): `help NAME` points there, and a misspelling can be one of them.</param>
public sealed class CommandSet(string program, string summary, string? notes = null, IReadOnlyList<string>? elsewhere = null) : IEnumerable<Command>
{
    private readonly List<Command> _commands = [];

    public void Add(Command command) => _commands.Add(command);
    public IEnumerator<Command> GetEnumerator() => _commands.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public int Run(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0] is "help" or "-h" or "--help")
        {
            if (args.Count > 1 && args[0] == "help")
            {
                if (elsewhere?.Contains(args[1]) == true)
                {
                    Console.Out.WriteLine($"{args[1]} is run by the launcher: ./losses help {args[1]} (or ./losses {args[1]} --help)");
                    return ExitCode.Done;
                }
                return Find(args[1]).Run(["--help"]);
            }
            Console.Out.Write(Help());
            return ExitCode.Done;
        }
        return Find(args[0]).Run(args.Skip(1).ToArray());
    }

    /// <summary>The command typed: the last word of its name ("voices" of "bench voices").</summary>
    private Command Find(string name)
    {
        Command? found = _commands.Find(c => c.Name.Split(' ')[^1] == name);
        if (found is not null) return found;
        string? guess = Suggestion.Closest(name, _commands.Where(c => !c.Hidden).Select(c => c.Name.Split(' ')[^1]).Concat(elsewhere ?? []));
        throw new UsageException($"unknown command '{name}'{(guess is null ? "" : $": did you mean {guess}?")} (try: {program} help)");
    }

    /// <summary>Every command with its options, then the notes.</summary>
    public string Help()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"usage: {program} <command> [options]\n{summary}\n\ncommands:\n");
        int width = _commands.Where(c => !c.Hidden).Max(c => c.Name.Length + c.Synopsis.Length + 1);
        foreach (Command c in _commands.Where(c => !c.Hidden)) c.AppendSummary(text, Math.Max(width, 24));
        text.Append(CultureInfo.InvariantCulture, $"\n{program} COMMAND --help prints one command's help.\n");
        if (notes is not null) text.Append('\n').Append(notes.TrimEnd()).Append('\n');
        return text.ToString();
    }
}

/// <summary>"Did you mean": the known word nearest a misspelt one, when it is near enough to be what was meant.</summary>
public static class Suggestion
{
    /// <summary>The candidate within a small edit distance of <paramref name="typed"/> (at most 2, and less than half its letters), else null.</summary>
    public static string? Closest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        int letters = typed.TrimStart('-').Length;
        foreach (string candidate in candidates.Distinct())
        {
            int d = Distance(typed, candidate);
            if (d < bestDistance) (best, bestDistance) = (candidate, d);
        }
        return bestDistance <= 2 && bestDistance * 2 < letters ? best : null;
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost 1.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
