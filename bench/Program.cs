using Losses.Bench.Micro;
using Losses.Bench.Ring;
using Losses.Bench.Voices;

namespace Losses.Bench;

/// <summary>
/// <c>losses-bench voices [...]</c>: voice counts per core against the scalar baseline.
/// <c>losses-bench micro [filter]</c>: BenchmarkDotNet suite of the hot paths.
/// </summary>
public static class Program
{
    private const string Usage = "usage: ./losses bench voices [--block 32,64,128,256] [--partials N] [--quick] [--json FILE] | ./losses bench micro [filter] | ./losses bench ring [--frames N] [--interval-us N] | ./losses bench dsp [--seconds S]";

    public static int Main(string[] args)
    {
        string command = args.Length > 0 ? args[0] : "help";
        if (Engine.Synthesis.VectorPath.Problem() is string vector) return Fail(vector);
        switch (command)
        {
            case "voices":
                VoiceCountCommand.Options? options = VoiceCountCommand.Parse(args.AsSpan(1), out string? error);
                if (options is null) return Fail(error!);
                return VoiceCountCommand.Run(options);
            case "micro":
                if (args.Length > 2) return Fail($"'bench micro' takes at most one filter, got {args.Length - 1} arguments");
                return MicroCommand.Run(args.Length == 2 ? args[1] : null);
            case "ring":
                return LatencyCommand.Run(args.AsSpan(1));
            case "dsp":
                return DspCommand.Run(args.AsSpan(1));
            case "ring-reader" when args.Length == 3:
                return LatencyCommand.Reader(args[1], int.Parse(args[2]));
            case "help" or "--help" or "-h":
                Console.WriteLine(Usage);
                return 0;
            default:
                return Fail($"unknown bench '{command}': {Usage}");
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"losses: bench: {message}");
        return 2;
    }
}
