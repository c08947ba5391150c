namespace Losses.Bench.Micro;

internal static class MicroCommand
{
    public static int Run(string? filter) => 0;
}
