namespace Losses.Engine;

public static class Program
{
    // ASIO drivers are apartment-threaded COM objects: the thread that creates and calls them must be STA.
    [STAThread]
    public static int Main(string[] args) => Cli.CommandLine.Run(args);
}
