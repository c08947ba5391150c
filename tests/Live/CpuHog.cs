using System.Diagnostics;

namespace Losses.Tests.Live;

/// <summary>
/// Competing load, as a busy concert laptop would have: one busy process per core for as long as
/// the test holds it, so the live tests see late cycles and clock slips on purpose, not by luck.
/// </summary>
public sealed class CpuHog : IDisposable
{
    private readonly List<Process> _hogs = [];

    public CpuHog(int processes = 0)
    {
        int n = processes > 0 ? processes : Environment.ProcessorCount;
        for (int i = 0; i < n; i++)
        {
            var info = new ProcessStartInfo("sh") { UseShellExecute = false };
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add("exec yes > /dev/null");
            _hogs.Add(Process.Start(info)!);
        }
    }

    public void Dispose()
    {
        foreach (Process p in _hogs)
        {
            try { if (!p.HasExited) p.Kill(); p.WaitForExit(5000); }
            catch (InvalidOperationException) { } // already gone
            p.Dispose();
        }
    }
}
