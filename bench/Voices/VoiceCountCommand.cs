using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Losses.Engine.Synthesis;
using Losses.Protocol.Cli;

namespace Losses.Bench.Voices;

/// <summary>
/// <c>bench voices</c>: for each block size, the largest number of reference voices whose
/// 99th-percentile block time stays within 70 % of the block period on one core — for the
/// engine's VoiceBank and for the scalar baseline, side by side in one run.
/// </summary>
internal static class VoiceCountCommand
{
    private const double Budget = 0.70;

    public sealed record Options(int[] Blocks, int Partials, bool Quick, string? Json);

    public sealed record Row(
        [property: JsonPropertyName("block")] int Block,
        [property: JsonPropertyName("voices")] int Voices,
        [property: JsonPropertyName("nsPerPartialSample")] double NsPerPartialSample,
        [property: JsonPropertyName("baselineVoices")] int BaselineVoices,
        [property: JsonPropertyName("baselineNsPerPartialSample")] double BaselineNsPerPartialSample);

    private readonly record struct Found(int Voices, double NsPerPartialSample);

    public static Command Command()
    {
        int[] blocks = [32, 64, 128, 256];
        int partials = 5;
        bool quick = false;
        string? json = null;
        return new Command("bench voices", "", "the voice count one core carries, VoiceBank against the scalar baseline",
            () => Run(new Options(blocks, partials, quick, json)))
        {
            { "--block", "32,64,128,256", "block sizes to search, each 1..8192", r => blocks = BlockSizes(r) },
            { "--partials", "N", "partials per voice, 1..32 (default 5: the reference voice)", r => partials = r.Int(1, 32) },
            { "--quick", "shorter trials, coarser search (a smoke test, not a figure)", () => quick = true },
            { "--json", "FILE", "also write the rows as JSON (for scripts)", r => json = r.Path() },
        };
    }

    private static int[] BlockSizes(OptionReader r)
    {
        string value = r.Value();
        var list = new List<int>();
        foreach (string part in value.Split(','))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int b) || b < 1 || b > 8192)
                throw r.Error($"--block '{value}': each block size must be a whole number 1..8192");
            list.Add(b);
        }
        return [.. list];
    }

    public static int Run(Options o)
    {
        double seconds = o.Quick ? 0.25 : 1.0;
        int repeats = o.Quick ? 1 : 3;
        double precision = o.Quick ? 0.05 : 0.02;
        var progress = new Progress();

        // Let tiered compilation settle before anything is timed.
        progress.Say("warming up");
        foreach (bool baseline in new[] { false, true })
        {
            var until = DateTime.UtcNow.AddSeconds(o.Quick ? 0.5 : 1.5);
            while (DateTime.UtcNow < until) VoiceLoad.Run(baseline, 256, o.Partials, 64, 0.05);
        }

        var rows = new List<Row>();
        foreach (int block in o.Blocks)
        {
            Found engine = Search(false, block, o.Partials, seconds, repeats, precision, progress);
            Found baseline = Search(true, block, o.Partials, seconds, repeats, precision, progress);
            rows.Add(new Row(block, engine.Voices, engine.NsPerPartialSample, baseline.Voices, baseline.NsPerPartialSample));
        }

        var scaling = new List<(int Voices, double Ns)>();
        foreach (int voices in o.Quick ? new[] { 64, 1024, 8192 } : new[] { 64, 256, 1024, 4096, 8192 })
        {
            progress.Say($"scaling: {voices} voices at block 64");
            var medians = new List<double>();
            for (int r = 0; r < repeats; r++) medians.Add(VoiceLoad.Run(false, voices, o.Partials, 64, seconds / 2).MedianNs);
            scaling.Add((voices, Median(medians) / ((double)voices * o.Partials * 64)));
        }
        progress.Done();

        Console.WriteLine($"Reference voices per core at {VoiceLoad.SampleRate} Hz, {o.Partials} partials: p99 block time <= {Budget:P0} of the block period");
        Console.WriteLine($"VoiceBank vector path: {VectorPath.Describe(VectorPath.Chosen)} ({VectorPath.Variable}=256 forces Vector256)");
        Console.WriteLine($"(trials of {seconds:0.##} s of audio, median of {repeats}; every voice sounding, detune targets changing every 256 samples)");
        Console.WriteLine();
        Console.WriteLine("| block | VoiceBank voices | ns/partial-sample | scalar baseline voices | ns/partial-sample | ratio |");
        Console.WriteLine("|------:|-----------------:|------------------:|-----------------------:|------------------:|------:|");
        foreach (Row r in rows)
        {
            string ratio = r.BaselineVoices > 0 ? $"{(double)r.Voices / r.BaselineVoices:0.0}x" : "-";
            Console.WriteLine($"| {r.Block,5} | {r.Voices,16} | {r.NsPerPartialSample,17:0.000} | {r.BaselineVoices,22} | {r.BaselineNsPerPartialSample,17:0.000} | {ratio,5} |");
        }
        Console.WriteLine();
        Console.WriteLine("Cost against voice count (VoiceBank, block 64, median block time):");
        Console.WriteLine();
        Console.WriteLine("| voices | ns/partial-sample |");
        Console.WriteLine("|-------:|------------------:|");
        foreach (var (voices, ns) in scaling) Console.WriteLine($"| {voices,6} | {ns,17:0.000} |");

        if (o.Json is not null)
        {
            string text = JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true });
            File.WriteAllText(o.Json, text + "\n");
        }
        return 0;
    }

    /// <summary>Doubles until the budget fails, then bisects in steps of 8 voices (one lane group).</summary>
    private static Found Search(bool baseline, int block, int partials, double seconds, int repeats, double precision, Progress progress)
    {
        double budgetNs = Budget * block * 1e9 / VoiceLoad.SampleRate;
        string name = baseline ? "baseline " : "VoiceBank";
        var medianAt = new Dictionary<int, double>();
        bool Fits(int voices)
        {
            var p99 = new List<double>();
            var median = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                VoiceLoad.Timing t = VoiceLoad.Run(baseline, voices, partials, block, seconds);
                p99.Add(t.P99Ns);
                median.Add(t.MedianNs);
            }
            double p = Median(p99);
            medianAt[voices] = Median(median);
            bool ok = p <= budgetNs;
            progress.Say($"block {block,4}: {name} {voices,6} voices  p99 {p / 1000,8:0.0} us of {budgetNs / 1000:0.0} us  {(ok ? "fits" : "too many")}");
            return ok;
        }

        int lo = 0, hi;
        int n = baseline ? 64 : 512;
        while (true)
        {
            if (Fits(n)) { lo = n; n *= 2; }
            else { hi = n; break; }
            if (n > 1 << 20) { hi = n; break; }
        }
        if (lo == 0)
        {
            // Even the first guess failed: halve down to one lane group.
            hi = n;
            while (hi > 8) { int m = hi / 2; if (Fits(m)) { lo = m; break; } hi = m; }
        }
        while (hi - lo > Math.Max(8, (int)(lo * precision)))
        {
            int mid = (lo + hi) / 2 / 8 * 8;
            if (mid <= lo) break;
            if (Fits(mid)) lo = mid; else hi = mid;
        }
        double ns = lo > 0 ? medianAt[lo] / ((double)lo * partials * block) : double.NaN;
        return new Found(lo, ns);
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    /// <summary>Progress on stderr: one rewritten line on a terminal, plain lines otherwise.</summary>
    private sealed class Progress
    {
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private int _width;

        public void Say(string line)
        {
            if (_terminal)
            {
                Console.Error.Write("\r" + line.PadRight(_width));
                _width = line.Length;
            }
            else
            {
                Console.Error.WriteLine(line);
            }
        }

        public void Done()
        {
            if (_terminal && _width > 0) Console.Error.Write("\r" + new string(' ', _width) + "\r");
        }
    }
}
