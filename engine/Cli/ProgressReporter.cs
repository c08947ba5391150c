using System.Globalization;

namespace Losses.Engine.Cli;

/// <summary>A progress bar on a terminal; a plain line every quarter otherwise (logs, CI).</summary>
public sealed class ProgressReporter(string name, double durationSeconds)
{
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private int _lastShown = -1;

    public void Report(double fraction)
    {
        if (_terminal)
        {
            int percent = (int)(fraction * 100);
            if (percent == _lastShown) return;
            _lastShown = percent;
            int filled = percent * 30 / 100;
            Console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                $"\rrendering {name} [{new string('#', filled)}{new string('.', 30 - filled)}] {percent,3}%  {fraction * durationSeconds,6:0.0} / {durationSeconds:0.0} s"));
        }
        else
        {
            int quarter = (int)(fraction * 4);
            if (quarter == _lastShown || quarter >= 4) return;
            _lastShown = quarter;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rendering {name}: {quarter * 25}%"));
        }
    }

    public void Finish()
    {
        if (_terminal) Console.Error.WriteLine();
    }
}
