using System.Globalization;
using System.Runtime.InteropServices;
using Losses.Visualiser.Native;

namespace Losses.Visualiser.Modes;

/// <summary>A monitor as GLFW sees it; <see cref="Number"/> counts from 1, the primary monitor first.</summary>
public sealed record MonitorInfo(int Number, string Name, int X, int Y, int Width, int Height, int RefreshRate, nint Handle = 0)
{
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Number}  {Name}  at {X},{Y}  {Width}x{Height}{(RefreshRate > 0 ? $" @ {RefreshRate} Hz" : "")}{(Number == 1 ? "  (primary)" : "")}");
}

/// <summary>`--monitors` and `--monitor N|NAME`: which screen the projector is.</summary>
public static class Monitors
{
    /// <summary>The connected monitors (GLFW must be initialised).</summary>
    public static unsafe List<MonitorInfo> List()
    {
        var list = new List<MonitorInfo>();
        int count;
        nint* monitors = Glfw.glfwGetMonitors(&count);
        for (int i = 0; monitors is not null && i < count; i++)
        {
            nint m = monitors[i];
            int x, y;
            Glfw.glfwGetMonitorPos(m, &x, &y);
            Glfw.VideoMode* mode = Glfw.glfwGetVideoMode(m);
            string name = Marshal.PtrToStringUTF8((nint)Glfw.glfwGetMonitorName(m)) ?? $"monitor {i + 1}";
            list.Add(new MonitorInfo(i + 1, name, x, y, mode is null ? 0 : mode->Width, mode is null ? 0 : mode->Height, mode is null ? 0 : mode->RefreshRate, m));
        }
        return list;
    }

    /// <summary>
    /// The monitor a performer named: its number (1 = primary), or its name — exactly, or else the
    /// one monitor whose name contains it (case-insensitive). Anything else is one line saying what there is.
    /// </summary>
    public static MonitorInfo Select(IReadOnlyList<MonitorInfo> monitors, string wanted)
    {
        string there = monitors.Count == 0 ? "no monitors are connected" : "monitors here: " + string.Join(", ", monitors.Select(m => $"{m.Number} '{m.Name}'"));
        if (int.TryParse(wanted, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            MonitorInfo? byNumber = monitors.FirstOrDefault(m => m.Number == number);
            return byNumber ?? throw new VisualiserException($"--monitor {wanted}: there is no monitor {number}; {there} (losses visualise --monitors)");
        }
        MonitorInfo? exact = monitors.FirstOrDefault(m => string.Equals(m.Name, wanted, StringComparison.OrdinalIgnoreCase));
        if (exact is not null) return exact;
        var partial = monitors.Where(m => m.Name.Contains(wanted, StringComparison.OrdinalIgnoreCase)).ToList();
        return partial.Count switch
        {
            1 => partial[0],
            0 => throw new VisualiserException($"--monitor {wanted}: no monitor is called that; {there} (losses visualise --monitors)"),
            _ => throw new VisualiserException($"--monitor {wanted}: {partial.Count} monitors match ({string.Join(", ", partial.Select(m => $"{m.Number} '{m.Name}'"))}): give the number"),
        };
    }

    /// <summary>`--monitors`: one line per monitor.</summary>
    public static int Print()
    {
        if (!Glfw.IsAvailable()) throw new VisualiserException("cannot list monitors: libglfw.so.3 is missing (apt-get install libglfw3)");
        if (Glfw.glfwInit() == 0)
            throw new VisualiserException($"cannot list monitors: {Glfw.LastError() ?? "GLFW failed to start"} (no display? set DISPLAY)");
        try
        {
            List<MonitorInfo> monitors = List();
            if (monitors.Count == 0) Console.WriteLine("no monitors are connected");
            foreach (MonitorInfo m in monitors) Console.WriteLine(m);
            return 0;
        }
        finally
        {
            Glfw.glfwTerminate();
        }
    }
}
