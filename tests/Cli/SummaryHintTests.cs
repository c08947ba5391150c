using Losses.Engine.Midi;

namespace Losses.Tests.Cli;

/// <summary>A render that trains nothing, or never leaves part 1, says why and what to change — and one that does, says nothing extra.</summary>
public class SummaryHintTests
{
    /// <summary>A Standard MIDI File of these notes, a quarter second each, and the controller presses given.</summary>
    private static string Midi(string dir, int[] notes, params (double Seconds, int Controller)[] pedals)
    {
        const int ppq = 480; // 120 bpm: a tick is 1/960 s
        long Tick(double s) => (long)Math.Round(s * 2 * ppq);
        var events = new List<TickedMidiEvent>();
        for (int i = 0; i < notes.Length; i++)
        {
            events.Add(TickedMidiEvent.NoteOn(Tick(0.25 * i), notes[i], 80));
            events.Add(TickedMidiEvent.NoteOff(Tick(0.25 * i + 0.2), notes[i]));
        }
        foreach (var (seconds, controller) in pedals)
        {
            events.Add(TickedMidiEvent.Control(Tick(seconds), controller, 127));
            events.Add(TickedMidiEvent.Control(Tick(seconds + 0.05), controller, 0));
        }
        string path = Path.Combine(dir, "scale.mid");
        File.WriteAllBytes(path, new StandardMidiFileWriter(ppq).AddTrack(events.OrderBy(e => e.Tick).ToList(), endTick: Tick(0.25 * notes.Length + 0.5)).ToArray());
        return path;
    }

    private static string[] SummaryLines(string midi, params string[] extra)
    {
        EngineCli.Outcome r = EngineCli.Run(["render", midi, "-o", Path.ChangeExtension(midi, ".wav"), .. extra]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Stdout.Split('\n').Select(l => l.Trim()).ToArray();
    }

    private static readonly int[] CMajor = [60, 62, 64, 65, 67, 69, 71, 72];

    [Fact]
    public void A_c_major_scale_says_it_trained_nothing_for_want_of_a_bass_note_and_never_left_part_1()
    {
        string[] lines = SummaryLines(Midi(EngineCli.TempDir(), CMajor));
        Assert.Contains("new targets: 0 cubic, 0 knot; 0 gradient steps", lines);
        Assert.Contains("trained nothing: no bass note below 48 to start a cubic — begin a phrase with one (the notes at or above 48 then train it), or raise piece.bassSplit in a config", lines);
        Assert.Contains("never left part 1: no press of the soft pedal (CC 67) — press it to go on to part 2, or set piece.partPedalController to the controller your pedal sends", lines);
    }

    [Fact]
    public void A_bass_note_trains_and_only_the_missing_pedal_is_named()
    {
        string[] lines = SummaryLines(Midi(EngineCli.TempDir(), [36, .. CMajor]));
        Assert.Contains("new targets: 1 cubic, 0 knot; 8 gradient steps", lines); // one step per upper note
        Assert.DoesNotContain(lines, l => l.StartsWith("trained nothing", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("never left part 1: no press of the soft pedal (CC 67)", StringComparison.Ordinal));
    }

    [Fact]
    public void The_pedal_into_part_2_without_a_chord_names_the_chord_and_the_config_names_its_own_split()
    {
        string dir = EngineCli.TempDir();
        string config = Path.Combine(dir, "c.json");
        File.WriteAllText(config, """{ "piece": { "chordSplit": 55 } }""");
        // The pedal first: the scale then plays in part 2, where a model starts on a held chord only.
        string[] lines = SummaryLines(Midi(dir, [.. CMajor, 72], (0.1, 67)), "--config", config);
        Assert.Contains("notes 9, parts visited 1 2 (1 part changes)", lines);
        Assert.Contains("trained nothing: no bass note below 48 (parts 1, 4) and no left-hand chord (2 notes below 55 held together) (parts 2, 3) to start a model — play one, or change piece.bassSplit / piece.chordSplit in a config", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("never left", StringComparison.Ordinal));
    }

    [Fact]
    public void Parts_that_name_the_knot_ask_for_a_chord_where_the_scale_was_played()
    {
        string dir = EngineCli.TempDir();
        string config = Path.Combine(dir, "c.json");
        File.WriteAllText(config, """{ "piece": { "parts": ["knot", "cubic", "cubic", "knot"] } }""");
        string[] lines = SummaryLines(Midi(dir, [36, .. CMajor]), "--config", config); // a bass note, but part 1 trains the knot
        Assert.Contains("new targets: 0 cubic, 0 knot; 0 gradient steps", lines);
        Assert.Contains("trained nothing: no left-hand chord (2 notes below 60 held together) to start a knot — hold one, or raise piece.chordSplit in a config", lines);
    }

    [Fact]
    public void Four_parts_gets_no_hint()
    {
        string dir = EngineCli.TempDir();
        EngineCli.Outcome r = EngineCli.Run("render", TestFiles.FourParts, "-o", Path.Combine(dir, "f.wav"));
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.DoesNotContain("trained nothing", r.Stdout);
        Assert.DoesNotContain("never left", r.Stdout);
    }
}
