using System.Globalization;

namespace Losses.Engine.Cli;

/// <summary>A progress bar on a terminal; a plain line every quarter otherwise (logs, CI, pipes): 0, 25, 50, 75 and 100 %.</summary>
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
            // 100 % is said by Finish, once the render is complete (the tail after the last event may still be rendering).
            int quarter = (int)(fraction * 4);
            if (quarter <= _lastShown || quarter >= 4) return;
            _lastShown = quarter;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rendering {name}: {quarter * 25}%"));
        }
    }

    /// <summary>The end of the render: 100 % when it completed; a stopped render ends where it stopped.</summary>
    public void Finish(bool completed)
    {
        if (completed) Report100();
        if (_terminal) Console.Error.WriteLine();
    }

    private void Report100()
    {
        if (_terminal) Report(1);
        else if (_lastShown < 4)
        {
            _lastShown = 4;
            Console.Error.WriteLine($"rendering {name}: 100%");
        }
    }
}
