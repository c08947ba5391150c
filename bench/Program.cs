using Losses.Bench.Micro;
using Losses.Bench.Ring;
using Losses.Bench.Voices;
using Losses.Platform.Cli;
using Losses.Protocol;

namespace Losses.Bench;

/// <summary><c>losses bench voices | micro | ring | dsp | web | summary</c>: the project's benchmarks, under the one command-line convention.</summary>
public static class Program
{
    public static int Main(string[] args) => ExitCode.Run(() =>
    {
        if (Engine.Synthesis.VectorPath.Problem() is string vector) throw new UsageException(vector);
        return new CommandSet("losses bench", "Benchmarks (docs/benchmarks.md).")
        {
            VoiceCountCommand.Command(), MicroCommand.Command(), LatencyCommand.Command(), DspCommand.Command(), LatencyCommand.ReaderCommand(), Web.WebCommand.Command(), Summary.SummaryCommand.Command(),
        }.Run(args);
    },
        // A peer that will not start (jackd missing: Win32Exception) or a run that failed is one line, exit 1.
        e => e is System.ComponentModel.Win32Exception or InvalidOperationException or Engine.Config.ConfigException || RingOption.IsProtocolFailure(e));
}
