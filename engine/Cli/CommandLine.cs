namespace Losses.Engine.Cli;

public static class CommandLine
{
    public static int Run(string[] args)
    {
        Console.Error.WriteLine("losses: nothing here yet");
        return 2;
    }
}
