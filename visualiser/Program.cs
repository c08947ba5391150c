namespace Losses.Visualiser;

public static class Program
{
    public static int Main()
    {
        Console.Error.WriteLine("losses: the visualiser is not built yet (see the visualiser issue).");
        return 2;
    }
}
