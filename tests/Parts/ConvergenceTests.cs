using System.Globalization;
using Losses.Engine.Midi;
using static Losses.Tests.Audio.Rendering;

namespace Losses.Tests.Parts;

/// <summary>
/// The convergence is heard across a phrase, with the default config, for every seed 1–20 of
/// four-parts.mid: each cubic phrase's first press ≥ 20 cents, at least half its presses ≥ 5 cents,
/// its last ≤ 3 cents, and the phrases differ (press 6's cents spread ≥ 2 cents from the 10th to the
/// 90th percentile); each knot chord starts ≥ 10 cents and ends ≤ 3 cents while held. Cents are
/// measured in the rendered audio (a partial of the pressed note against k·f₀ from the note
/// number); the phrases and chords are read from the MIDI file, not from the engine. The example
/// performance is held to the same phrase bounds, its cents read from the engine at each press.
/// </summary>
public class ConvergenceTests(Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>Press 6's cents from the 10th to the 90th percentile (linear interpolation) across phrases.</summary>
    public static (double P10, double P90) Spread(List<double> values)
    {
        double[] v = values.Order().ToArray();
        double At(double q)
        {
            double pos = q * (v.Length - 1);
            int lo = (int)Math.Floor(pos);
            return lo + 1 < v.Length ? v[lo] + (pos - lo) * (v[lo + 1] - v[lo]) : v[lo];
        }
        return (At(0.1), At(0.9));
    }

    /// <summary>Per press: median and 10–90 % across phrases (the table in docs/learning.md).</summary>
    private void WriteSpread(List<double>[] byPress)
    {
        for (int i = 0; i < byPress.Length; i++)
        {
            (double lo, double hi) = Spread(byPress[i]);
            double[] v = byPress[i].Order().ToArray();
            double median = v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"press {i + 1}: median {median:0.0}, 10–90 % {lo:0.0}–{hi:0.0}, min–max {v[0]:0.0}–{v[^1]:0.0} cents ({v.Length} phrases)"));
        }
    }

    /// <summary>The phrase bounds every default-config phrase meets; the failures, one line each.</summary>
    public static IEnumerable<string> PhraseFailures(string where, IReadOnlyList<double> cents)
    {
        if (cents[0] < 20) yield return $"{where}: first press below 20 cents";
        if (2 * cents.Count(c => c >= 5) < cents.Count) yield return $"{where}: fewer than half the presses at 5 cents or more";
        if (cents[^1] > 3) yield return $"{where}: last press above 3 cents";
    }

    [Fact]
    public void Every_phrase_of_the_example_performance_converges_audibly_and_the_phrases_differ_seeds_1_to_20()
    {
        TimedMidiEvent[] events = MidiPerformance.Parse(ExamplePerformance.Create(), "demo.mid", Rate).Events;
        var failures = new List<string>();
        var sixth = new List<double>();
        var byPress = new List<double>[12];
        for (int i = 0; i < byPress.Length; i++) byPress[i] = [];
        for (ulong seed = 1; seed <= 20; seed++)
        {
            foreach (PressDetunes.Phrase phrase in PressDetunes.Measure(events, Losses.Engine.Config.EngineConfig.Default, seed))
            {
                for (int i = 0; i < Math.Min(12, phrase.Cents.Count); i++) byPress[i].Add(phrase.Cents[i]);
                string where = $"seed {seed} part {phrase.Part} phrase {phrase.Index}: {string.Join(" ", phrase.Cents.Select(c => c.ToString("0.0", CultureInfo.InvariantCulture)))}";
                failures.AddRange(PhraseFailures(where, phrase.Cents));
                if (phrase.Cents.Count >= 6) sixth.Add(phrase.Cents[5]);
            }
        }
        Assert.Equal(20 * 4, sixth.Count);
        WriteSpread(byPress);
        (double p10, double p90) = Spread(sixth);
        Assert.True(p90 - p10 >= 2, $"press 6 spans only {p10:0.00}..{p90:0.00} cents across the phrases");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private const int Rate = 48000;
    private const double Highest = 80; // cents: the search band's top, and the band kept clear of other partials

    /// <summary>A key press in a cubic part, or a chord note in a knot part, with the window its cents are measured in.</summary>
    private sealed record Press(int Part, int Group, int Index, int Note, long From, long To)
    {
        /// <summary>Which partial (2..5) is measured: chosen clear of every other component in the window.</summary>
        public int Partial { get; set; } = 2;
    }

    /// <summary>A note as the file plays it.</summary>
    private sealed record Played(int Part, int Note, long On, long Off);

    [Fact]
    public void Every_phrase_and_chord_of_four_parts_converges_audibly_for_seeds_1_to_20()
    {
        MidiPerformance performance = MidiPerformance.Load(TestFiles.FourParts, Rate);
        (List<List<Press>> phrases, List<(List<Press> Start, List<Press> End)> chords) = Read(performance.Events);
        Assert.Equal(4, phrases.Count);
        Assert.Equal(5, chords.Count);

        var table = new List<string> { "seed,part,group,press,note,partial,cents" };
        var failures = new List<string>();
        var sixth = new List<double>();
        var byPress = new List<double>[12];
        for (int i = 0; i < byPress.Length; i++) byPress[i] = [];
        long total = performance.Events[^1].SampleTime + Rate;
        for (ulong seed = 1; seed <= 20; seed++)
        {
            Result r = Run(performance.Events, total, seed: seed);
            var mono = new float[r.Left.Length];
            for (int i = 0; i < mono.Length; i++) mono[i] = r.Left[i] + r.Right[i];

            foreach (List<Press> phrase in phrases)
            {
                double[] cents = phrase.Select(p => Cents(mono, p)).ToArray();
                for (int i = 0; i < phrase.Count; i++) table.Add(Row(seed, phrase[i], "press", cents[i]));
                string where = $"seed {seed} part {phrase[0].Part} phrase {phrase[0].Group}: {string.Join(" ", cents.Select(c => c.ToString("0.0", CultureInfo.InvariantCulture)))}";
                failures.AddRange(PhraseFailures(where, cents));
                sixth.Add(cents[5]);
                for (int i = 0; i < Math.Min(12, cents.Length); i++) byPress[i].Add(cents[i]);
            }
            foreach ((List<Press> start, List<Press> end) in chords)
            {
                foreach (Press p in start)
                {
                    double c = Cents(mono, p);
                    table.Add(Row(seed, p, "start", c));
                    if (c < 10) failures.Add($"seed {seed} chord {p.Group} note {p.Note}: starts at {c:0.0} cents");
                }
                foreach (Press p in end)
                {
                    double c = Cents(mono, p);
                    table.Add(Row(seed, p, "end", c));
                    if (c > 3) failures.Add($"seed {seed} chord {p.Group} note {p.Note}: ends at {c:0.0} cents");
                }
            }
        }
        string? tablePath = Environment.GetEnvironmentVariable("LOSSES_CENTS_TABLE");
        if (!string.IsNullOrEmpty(tablePath)) File.WriteAllLines(tablePath, table);
        WriteSpread(byPress);
        (double p10, double p90) = Spread(sixth);
        Assert.True(p90 - p10 >= 2, $"press 6 spans only {p10:0.00}..{p90:0.00} cents across the phrases");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static string Row(ulong seed, Press p, string what, double cents) =>
        string.Create(CultureInfo.InvariantCulture, $"{seed},{p.Part},{p.Group},{(what == "press" ? (p.Index + 1).ToString(CultureInfo.InvariantCulture) : what)},{p.Note},{p.Partial},{cents:0.00}");

    /// <summary>
    /// Cents of the note's chosen partial k over k·f₀ (equal temperament, A4 = 440 Hz) in the press's
    /// window: the strongest component between −15 and +80 cents (the detune is never negative here;
    /// a phrase starts near 50, its first minibatch's loss against the target's).
    /// </summary>
    private static double Cents(float[] mono, Press p)
    {
        double f2 = p.Partial * Hz(p.Note);
        double low = f2 * Math.Pow(2, -15 / 1200.0), high = f2 * Math.Pow(2, Highest / 1200.0);
        double measured = PeakFrequency(mono.AsSpan((int)p.From, (int)(p.To - p.From)), Rate, (low + high) / 2, (high - low) / 2);
        return 1200 * Math.Log2(measured / f2);
    }

    /// <summary>
    /// Walks the file as the performer's score: the soft pedal (CC 67) advances the part; in parts 1
    /// and 4 a note below 48 opens a phrase and notes from 48 up are its presses; in parts 2 and 3
    /// notes below 60 struck together are a chord, measured just after it is struck and just before
    /// its first key is let go.
    /// </summary>
    private static (List<List<Press>>, List<(List<Press>, List<Press>)>) Read(TimedMidiEvent[] events)
    {
        int part = 1;
        bool pedal = false;
        var phrases = new List<List<Press>>();
        var chords = new List<(List<Press>, List<Press>)>();
        var onsets = new List<(int Part, long Sample, int Note)>();
        var releases = new Dictionary<int, List<long>>();
        var played = new List<Played>();
        foreach (TimedMidiEvent e in events)
        {
            int kind = e.Status & 0xF0;
            if (kind == 0xB0 && e.Data1 == 67)
            {
                bool down = e.Data2 >= 64;
                if (down && !pedal) part = part % 4 + 1;
                pedal = down;
            }
            else if (kind == 0x90 && e.Data2 > 0) onsets.Add((part, e.SampleTime, e.Data1));
            else if (kind == 0x80 || kind == 0x90)
            {
                if (!releases.TryGetValue(e.Data1, out List<long>? list)) releases[e.Data1] = list = [];
                list.Add(e.SampleTime);
            }
        }
        long ReleaseOf(int note, long after) => releases[note].First(t => t > after);
        foreach ((int p, long at, int note) in onsets) played.Add(new Played(p, note, at, ReleaseOf(note, at)));

        for (int i = 0; i < onsets.Count; i++)
        {
            (int p, long at, int note) = onsets[i];
            if (p is 1 or 4)
            {
                if (note < 48) { phrases.Add([]); continue; }
                List<Press> phrase = phrases[^1];
                long next = i + 1 < onsets.Count ? onsets[i + 1].Sample : at + Rate;
                long to = Math.Min(next - Rate / 200, at + (long)(0.3 * Rate));
                phrase.Add(new Press(p, phrases.Count, phrase.Count, note, at + (long)(0.03 * Rate), to));
            }
            else if (note < 60 && (chords.Count == 0 || at - chords[^1].Item1[0].From > Rate / 10 + (long)(0.02 * Rate)))
            {
                var notes = onsets.Skip(i).TakeWhile(o => o.Note < 60 && o.Sample - at < Rate / 100).ToList();
                long end = notes.Min(o => ReleaseOf(o.Note, at));
                var start = notes.Select(o => new Press(p, chords.Count + 1, 0, o.Note, at + (long)(0.02 * Rate), at + (long)(0.32 * Rate))).ToList();
                var last = notes.Select(o => new Press(p, chords.Count + 1, 1, o.Note, end - (long)(0.32 * Rate), end - (long)(0.02 * Rate))).ToList();
                chords.Add((start, last));
            }
        }
        foreach (Press press in phrases.SelectMany(x => x).Concat(chords.SelectMany(c => c.Item1.Concat(c.Item2))))
            press.Partial = ClearPartial(press, played);
        // Every press of a phrase is measured; of a chord, the notes with a partial clear of the others (at least one).
        if (phrases.SelectMany(x => x).FirstOrDefault(x => x.Partial == 0) is Press unclear)
            throw new InvalidOperationException($"no partial of note {unclear.Note} at {unclear.From / (double)Rate:0.00} s is clear of the others");
        for (int c = 0; c < chords.Count; c++)
        {
            chords[c] = (chords[c].Item1.Where(x => x.Partial > 0).ToList(), chords[c].Item2.Where(x => x.Partial > 0).ToList());
            if (chords[c].Item1.Count == 0 || chords[c].Item2.Count == 0)
                throw new InvalidOperationException($"chord {c + 1}: no note has a partial clear of the others");
        }
        return (phrases, chords);
    }

    private static double Hz(int note) => 440.0 * Math.Pow(2, (note - 69) / 12.0);

    /// <summary>
    /// The highest partial k (5..2, 0 if none) of the press's note that no other component sounding in its
    /// window can be mistaken for: every other note's fundamental (never detuned) and every overtone
    /// of a note that does not share the press's detune stays 20 Hz clear of k·f₀·[1, 2^(80/1200)];
    /// an overtone of a note held through the window with the same detune may coincide exactly (an
    /// octave: it moves with the measured one); anything else, even 2 cents off (an equal-tempered
    /// fifth), beats with it inside the window and must be 20 Hz clear.
    /// </summary>
    private static int ClearPartial(Press press, List<Played> played)
    {
        const long DampTail = Rate * 35 / 100; // a released voice is 60 dB down 0.3 s later
        var others = played.Where(o => o.On < press.To && o.Off + DampTail > press.From && !(o.Note == press.Note && o.On <= press.From + Rate / 10)).ToList();
        for (int k = 5; k >= 2; k--)
        {
            double low = k * Hz(press.Note), high = low * Math.Pow(2, Highest / 1200.0);
            bool clear = true;
            foreach (Played o in others)
            {
                bool sameDetune = o.On <= press.From && o.Off >= press.To && (o.Part is 2 or 3 || o.Note >= 48);
                for (int j = 1; j <= 5 && clear; j++)
                {
                    double f = j * Hz(o.Note);
                    if (j > 1 && sameDetune && Math.Abs(1200 * Math.Log2(f / low)) < 0.01) continue;
                    double gap = f < low ? low - f : f > high ? f - high : 0;
                    if (j > 1 && gap < 20) clear = false;           // another overtone: it may carry any detune
                    if (j == 1 && gap < 20) clear = false;          // a fundamental: always at f
                }
                if (!clear) break;
            }
            if (clear) return k;
        }
        return 0;
    }
}
