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
        switch (command)
        {
            case "voices":
                VoiceCountCommand.Options? options = VoiceCountCommand.Parse(args.AsSpan(1), out string? error);
                if (options is null) return Fail(error!);
                return VoiceCountCommand.Run(options);
            case "micro":
                if (args.Length > 2) return Fail($"'bench micro' takes at most one filter, got {args.Length - 1} arguments");
                return MicroCommand.Run(args.Length == 2 ? args[1] : null);
            case "probe" when args.Length == 3:
                // Quick A/B while optimising: median ns per partial-sample at a fixed voice count and block.
                int voices = int.Parse(args[1]), block = int.Parse(args[2]);
                for (int i = 0; i < 3; i++) VoiceLoad.Run(false, voices, 5, block, 0.3);
                var ns = new List<double>();
                for (int i = 0; i < 7; i++) ns.Add(VoiceLoad.Run(false, voices, 5, block, 0.5).P10Ns / (voices * 5.0 * block));
                ns.Sort();
                Console.WriteLine($"{voices} voices, block {block}: {ns[3]:0.000} ns/partial-sample at the 10th percentile block (min {ns[0]:0.000})");
                return 0;
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
