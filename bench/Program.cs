namespace Losses.Bench;

public static class Program
{
    public static int Main()
    {
        Console.Error.WriteLine("losses: benchmarks are not built yet (see the bench issue).");
        return 2;
    }
}
