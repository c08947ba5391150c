using Losses.Bench.Web;
using Losses.Tests.Asio;

namespace Losses.Tests.Web;

/// <summary>
/// The Windows build of `losses web` (`losses publish win-x64` ships it beside the engine) under
/// Wine, serving the Linux browser: the concert machine puts its visuals on a projector this way.
/// </summary>
[Collection("wine")]
public sealed class WebUnderWineTests(WineAsio wine)
{
    [Fact]
    public void The_windows_build_serves_the_page_and_its_frames_to_a_browser()
    {
        string dir = WebKit.Dir();
        string log = WebKit.RenderFrames(dir, WebKit.ShortMidi(dir, 3));
        using var server = new WebServerProcess(wine.Program(wine.Web), "--frames", WineAsio.WindowsPath(log));
        using var browser = new Chromium();
        using (Chromium.Tab live = browser.Open(WebKit.Query(server.Url, "camera=0&size=640x360")))
        {
            // The frame log played to the page over the WebSocket (frames lost only where a loaded machine made the page fall behind).
            live.WaitFor("lossesStats.framesReceived > 500 && lossesStats.drawn > 10", 60);
        }
        using Chromium.Tab still = browser.Open(WebKit.Query(server.Url, "at=2.5&camera=0&size=640x360"));
        still.WaitFor("lossesStats.stillReady && lossesStats.drawn > 2", 30);
        Assert.Equal(4, (int)still.Stat("part")); // MakeMidi's performance ends in part 4
    }
}
