using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Losses.Engine.Synthesis;
using Losses.Platform.Cli;

namespace Losses.Bench.Voices;

/// <summary>
/// <c>bench voices</c>: for each block size, the largest number of reference voices whose
/// 99th-percentile block time stays within 70 % of the block period on one core — for the
/// engine's VoiceBank and for the scalar baseline, side by side in one run.
/// </summary>
internal static class VoiceCountCommand
{
    private const double Budget = 0.70;

    public sealed record Options(int[] Blocks, int Partials, bool Quick, string? Json, bool AgainstScsynth = false);

    public sealed record Row(
        [property: JsonPropertyName("block")] int Block,
        [property: JsonPropertyName("voices")] int Voices,
        [property: JsonPropertyName("nsPerPartialSample")] double? NsPerPartialSample,
        [property: JsonPropertyName("baselineVoices")] int BaselineVoices,
        [property: JsonPropertyName("baselineNsPerPartialSample")] double? BaselineNsPerPartialSample,
        [property: JsonPropertyName("scsynthVoices"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? ScsynthVoices = null,
        [property: JsonPropertyName("scsynthRatio"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? ScsynthRatio = null,
        [property: JsonPropertyName("p99OverMedian")] double P99OverMedian = 0,
        [property: JsonPropertyName("voicesByMedian")] int VoicesByMedian = 0,
        [property: JsonPropertyName("machineP99OverMedian")] double MachineP99OverMedian = 0);

    /// <summary>A search's count, its median cost (null when not even 8 voices fit), and how far its p99 block stands above its median block there.</summary>
    private readonly record struct Found(int Voices, double? NsPerPartialSample, double P99OverMedian);

    public static Command Command()
    {
        int[] blocks = [32, 64, 128, 256];
        int partials = 5;
        bool quick = false, againstScsynth = false;
        string? json = null;
        return new Command("bench voices", "", "the voice count one core carries, VoiceBank against the scalar baseline (and scsynth)",
            () =>
            {
                if (againstScsynth && partials != Scsynth.Partials)
                    throw new UsageException($"bench voices: --against scsynth compares the reference voice's {Scsynth.Partials} partials: leave out --partials {partials}");
                return Run(new Options(blocks, partials, quick, json, againstScsynth));
            })
        {
            { "--block", "32,64,128,256", "block sizes to search, each 1..8192", r => blocks = BlockSizes(r) },
            { "--partials", "N", "partials per voice, 1..32 (default 5: the reference voice)", r => partials = r.Int(1, 32) },
            { "--quick", "shorter trials, coarser search (a smoke test, not a figure)", () => quick = true },
            { "--json", "FILE", "also write the rows as JSON (for scripts)", r => json = r.Path() },
            { "--against", "scsynth", "also SuperCollider's server on the same machine, in the same run (README: Benchmarks)", r => againstScsynth = Peer(r) },
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

    private static bool Peer(OptionReader r)
    {
        string value = r.Value();
        return value == "scsynth" ? true : throw r.Error($"--against '{value}': the only peer is scsynth (--against scsynth)");
    }

    public static int Run(Options o)
    {
        double seconds = o.Quick ? 0.25 : 1.0;
        int repeats = o.Quick ? 1 : 3;
        double precision = o.Quick ? 0.05 : 0.02;
        var progress = new Progress();
        Scsynth? scsynth = null;
        if (o.AgainstScsynth)
        {
            if (Scsynth.Missing() is string missing) return Fail(missing);
            progress.Say("sclang: compiling the reference voice's SynthDef");
            try { scsynth = Scsynth.Prepare(); }
            catch (ScsynthException e) { progress.Done(); return Fail(e.Message); }
        }
        using Scsynth? owned = scsynth;

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
            int? peer = null;
            if (scsynth is not null)
            {
                try { peer = SearchScsynth(scsynth, block, o.Quick ? 1.0 : 2.0, repeats, precision, progress); }
                catch (ScsynthException e) { progress.Done(); return Fail(e.Message); }
            }
            // The count the budget would carry if every block took the median's time (the arithmetic's
            // own limit, against which the count found shows what the tail costs), and the machine's
            // own tail for chunks of work as long as that median block.
            int byMedian = 0;
            double machine = 0;
            if (engine.NsPerPartialSample is double ns)
            {
                double medianBlockNs = ns * engine.Voices * o.Partials * block;
                byMedian = (int)(BudgetNs(block) / medianBlockNs * engine.Voices);
                progress.Say($"block {block,4}: the machine's tail, an FMA loop as long as a block");
                machine = MachineTail.P99OverMedian(medianBlockNs, seconds, repeats);
            }
            rows.Add(new Row(block, engine.Voices, engine.NsPerPartialSample, baseline.Voices, baseline.NsPerPartialSample,
                peer, peer > 0 ? Math.Round((double)engine.Voices / peer.Value, 2) : null,
                Math.Round(engine.P99OverMedian, 3), byMedian, Math.Round(machine, 3)));
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
        string peerHeader = scsynth is null ? "" : " scsynth voices | VoiceBank / scsynth |";
        string peerRule = scsynth is null ? "" : "---------------:|-------------------:|";
        Console.WriteLine("| block | VoiceBank voices | ns/partial-sample | scalar baseline voices | ns/partial-sample | ratio |" + peerHeader);
        Console.WriteLine("|------:|-----------------:|------------------:|-----------------------:|------------------:|------:|" + peerRule);
        foreach (Row r in rows)
        {
            string ratio = r.BaselineVoices > 0 ? $"{(double)r.Voices / r.BaselineVoices:0.0}x" : "-";
            string peer = scsynth is null ? "" : $" {r.ScsynthVoices,14} | {(r.ScsynthRatio is double x ? $"{x:0.0}x" : "-"),18} |";
            Console.WriteLine($"| {r.Block,5} | {r.Voices,16} | {Ns(r.NsPerPartialSample),17} | {r.BaselineVoices,22} | {Ns(r.BaselineNsPerPartialSample),17} | {ratio,5} |" + peer);
        }
        Console.WriteLine();
        foreach (Row r in rows.Where(r => r.Voices > 0))
            Console.WriteLine($"block {r.Block}: at {r.Voices} voices the p99 block takes {r.P99OverMedian:0.00}x the median one "
                + $"(an FMA loop in registers, as long as a block, on this machine: {r.MachineP99OverMedian:0.00}x); every block at the median's time would fit {r.VoicesByMedian} voices.");
        if (scsynth is not null)
        {
            Console.WriteLine();
            Console.WriteLine($"scsynth: the original synth's SynthDef (compiled by sclang) rendered in NRT mode, one process, {(o.Quick ? 1.0 : 2.0):0.#} s of audio per trial;");
            Console.WriteLine($"its voices fit when (wall time - wall time of an empty score) <= {Budget:P0} of the audio's duration: a mean, not a p99 (scsynth's easier test).");
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

    /// <summary>
    /// scsynth's count by the same headroom: NRT gives one wall time per render, so its voices fit when
    /// the render's time beyond an empty score's is within the budget of the audio's duration —
    /// a mean block time, which is kinder to scsynth than the engine's p99.
    /// </summary>
    private static int SearchScsynth(Scsynth scsynth, int block, double seconds, int repeats, double precision, Progress progress)
    {
        double Wall(int voices)
        {
            var walls = new List<double>();
            for (int r = 0; r < repeats; r++) walls.Add(scsynth.Time(voices, seconds, block).TotalSeconds);
            return Median(walls);
        }
        double idle = Wall(0);
        bool Fits(int voices)
        {
            double load = (Wall(voices) - idle) / seconds;
            bool ok = load <= Budget;
            progress.Say($"block {block,4}: scsynth   {voices,6} voices  load {load,6:P1} of {Budget:P0}  {(ok ? "fits" : "too many")}");
            return ok;
        }
        return Bracket(Fits, 128, precision);
    }

    /// <summary>The engine's or the baseline's count: p99 block time within the budget.</summary>
    private static Found Search(bool baseline, int block, int partials, double seconds, int repeats, double precision, Progress progress)
    {
        double budgetNs = BudgetNs(block);
        string name = baseline ? "baseline " : "VoiceBank";
        var at = new Dictionary<int, (double Median, double P99)>();
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
            at[voices] = (Median(median), p);
            bool ok = p <= budgetNs;
            progress.Say($"block {block,4}: {name} {voices,6} voices  p99 {p / 1000,8:0.0} us of {budgetNs / 1000:0.0} us  {(ok ? "fits" : "too many")}");
            return ok;
        }

        int lo = Bracket(Fits, baseline ? 64 : 512, precision);
        if (lo == 0) return new Found(0, null, 0);
        return new Found(lo, at[lo].Median / ((double)lo * partials * block), at[lo].P99 / at[lo].Median);
    }

    /// <summary>The largest count that fits: doubling from <paramref name="n"/>, then bisection in steps of 8 voices (one lane group).</summary>
    private static int Bracket(Func<int, bool> fits, int n, double precision)
    {
        int lo = 0, hi;
        while (true)
        {
            if (fits(n)) { lo = n; n *= 2; }
            else { hi = n; break; }
            if (n > 1 << 20) { hi = n; break; }
        }
        if (lo == 0)
        {
            // Even the first guess failed: halve down to one lane group.
            hi = n;
            while (hi > 8) { int m = hi / 2; if (fits(m)) { lo = m; break; } hi = m; }
        }
        while (hi - lo > Math.Max(8, (int)(lo * precision)))
        {
            int mid = (lo + hi) / 2 / 8 * 8;
            if (mid <= lo) break;
            if (fits(mid)) lo = mid; else hi = mid;
        }
        return lo;
    }

    /// <summary>A median cost for the table: "-" where no voices fit, so there is none.</summary>
    private static string Ns(double? ns) => ns is double x ? x.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    /// <summary>The time a block of <paramref name="block"/> samples may take: the budget's share of its period.</summary>
    private static double BudgetNs(int block) => Budget * block * 1e9 / VoiceLoad.SampleRate;

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"losses: bench voices: {message}");
        return 1;
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
