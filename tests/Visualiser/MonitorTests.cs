using System.Diagnostics;
using Losses.Visualiser;
using Losses.Visualiser.Modes;

namespace Losses.Tests.Visualiser;

/// <summary>The projector: choosing a monitor by number or name, listing them, and the window going full screen on it under Xvfb.</summary>
public class MonitorTests
{
    private static readonly MonitorInfo[] Stage =
    [
        new(1, "eDP-1", 0, 0, 1920, 1080, 60),
        new(2, "HDMI-1", 1920, 0, 1280, 720, 60),
        new(3, "HDMI-2", 3200, 0, 1024, 768, 75),
    ];

    [Theory]
    [InlineData("2", 2)]
    [InlineData("HDMI-1", 2)]
    [InlineData("hdmi-2", 3)]
    [InlineData("edp", 1)]
    public void A_monitor_is_chosen_by_number_by_name_or_by_the_one_name_that_contains_it(string wanted, int expected) =>
        Assert.Equal(expected, Monitors.Select(Stage, wanted).Number);

    [Theory]
    [InlineData("4", "--monitor 4: there is no monitor 4; monitors here: 1 'eDP-1', 2 'HDMI-1', 3 'HDMI-2' (losses visualise --monitors)")]
    [InlineData("0", "--monitor 0: there is no monitor 0;")]
    [InlineData("DP-9", "--monitor DP-9: no monitor is called that;")]
    [InlineData("HDMI", "--monitor HDMI: 2 monitors match (2 'HDMI-1', 3 'HDMI-2'): give the number")]
    public void An_unknown_or_ambiguous_monitor_is_one_line_saying_what_there_is(string wanted, string message)
    {
        var e = Assert.Throws<VisualiserException>(() => Monitors.Select(Stage, wanted));
        Assert.StartsWith(message, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Under_Xvfb_the_monitors_are_listed_an_unknown_one_fails_in_one_line_and_the_window_fills_the_chosen_one()
    {
        (Process xvfb, string display) = LiveWindowTests.StartXvfb();
        try
        {
            var env = new Dictionary<string, string> { ["DISPLAY"] = display };
            var list = VisualiserKit.Run(env, "--monitors");
            Assert.True(list.ExitCode == 0, list.Stderr);
            Assert.Equal("1  screen  at 0,0  640x480  (primary)", list.Stdout.Trim());

            var unknown = VisualiserKit.Run(env, "--monitor", "projector", "--ring", "none-" + Guid.NewGuid().ToString("N")[..6]);
            Assert.Equal(1, unknown.ExitCode);
            Assert.Equal("losses: --monitor projector: no monitor is called that; monitors here: 1 'screen' (losses visualise --monitors)", unknown.Stderr.Trim());

            using Process window = VisualiserKit.Start(env, "--monitor", "screen", "--size", "320x180", "--status", "0.2", "--ring", "none-" + Guid.NewGuid().ToString("N")[..6]);
            try
            {
                string? status = null;
                var clock = Stopwatch.StartNew();
                while (status is null && clock.Elapsed < TimeSpan.FromSeconds(30))
                {
                    string? line = window.StandardOutput.ReadLine();
                    if (line is null) break;
                    if (line.StartsWith("status ", StringComparison.Ordinal)) status = line;
                }
                Assert.NotNull(status);
                Assert.EndsWith("screen=full 640x480+0+0", status);
            }
            finally
            {
                window.Kill();
                window.WaitForExit();
            }
        }
        finally
        {
            xvfb.Kill();
            xvfb.WaitForExit();
        }
    }
}
