namespace Losses.Engine.Midi;

/// <summary>
/// The bundled demo performance (<c>examples/demo.mid</c>, which a test keeps byte-identical to
/// <see cref="Create"/>): a short walk through the four parts of the piece in D dorian.
/// </summary>
/// <remarks>
/// Format 1, 480 ppq, 120 bpm (a beat is 0.5 s), everything on channel 1; track 0 holds the
/// tempo, track 1 ("Losses demo") the notes. Times below are in seconds from the start.
/// <list type="bullet">
/// <item>Part 1 (the piece starts in it), three phrases, each a bass note held under twelve upper
/// notes with the sustain pedal (CC 64) down: bass D2 (38) at 0.5 s, G2 (43) at 6.5 s, A2 (45) at
/// 12.5 s; upper notes 67–81.</item>
/// <item>Soft pedal (CC 67 127, then 0 a quarter note later) at 18.5 s → part 2.</item>
/// <item>Part 2: left-hand chords D3 F3 A3 (50 53 57) at 19 s and G2 D3 G3 (43 50 55) at 22.5 s,
/// each held 3 s with three upper notes over it.</item>
/// <item>Soft pedal at 26 s → part 3.</item>
/// <item>Part 3: chords A2 E3 A3 (45 52 57) at 26.5 s and D2 A2 F3 (38 45 53) at 30 s, each held
/// 3 s with three upper notes over it.</item>
/// <item>Soft pedal at 33.5 s → part 4.</item>
/// <item>Part 4: bass D2 (38) at 34 s with the sustain pedal, then a run of eleven upper notes up
/// to D6 and back to D5, which rings with the pedal until 41 s.</item>
/// <item>The last event (sustain release) is at 41 s; the end of track at 45 s leaves the bass ring.</item>
/// </list>
/// With the default mappings this is 75 note-ons, 4 new cubic targets (3 in part 1, 1 in part 4),
/// 47 upper-note presses in parts 1 and 4 (36 + 11: one gradient step each unless the loss is
/// already below the stopping threshold), 4 new knot targets (2 in part 2, 2 in part 3; new chords
/// are 3.5–4 s apart, beyond the 2 s guard), 3 part changes (1→2→3→4) and 4 sustain-pedal presses
/// (tests/Midi/ExamplePerformanceTests.cs plays it through the engine and checks each).
/// </remarks>
public static class ExamplePerformance
{
    public const int TicksPerQuarterNote = 480;
    public const int Bpm = 120;

    private const int SustainPedalCc = 64;
    private const int SoftPedalCc = 67;

    /// <summary>Composes the demo; the same bytes every time.</summary>
    public static byte[] Create()
    {
        var c = new Composer();

        // Part 1: three phrases in D dorian, a bass note and twelve upper notes each.
        c.Phrase(1, 38, [(69, 1), (74, .5), (76, .5), (77, 1), (76, .5), (74, .5), (72, 1), (69, .5), (67, .5), (69, 1), (72, 1), (74, 2)]);
        c.Phrase(13, 43, [(71, 1), (74, .5), (76, .5), (79, 1), (77, .5), (76, .5), (74, 1), (71, .5), (72, .5), (74, 1), (76, 1), (79, 2)]);
        c.Phrase(25, 45, [(76, 1), (77, .5), (79, .5), (81, 1), (79, .5), (77, .5), (76, 1), (74, .5), (72, .5), (74, 1), (77, 1), (76, 2)]);
        c.SoftPedal(37);

        // Part 2: two left-hand chords, each held 3 s, three upper notes over each.
        c.Chord(38, 6, [50, 53, 57], [(1, 74, 1.5), (2.5, 76, 1.5), (4, 77, 2)]);
        c.Chord(45, 6, [43, 50, 55], [(1, 71, 1.5), (2.5, 74, 1.5), (4, 79, 2)]);
        c.SoftPedal(52);

        // Part 3: two more held chords.
        c.Chord(53, 6, [45, 52, 57], [(1, 72, 1.5), (2.5, 76, 1.5), (4, 81, 2)]);
        c.Chord(60, 6, [38, 45, 53], [(1, 69, 1.5), (2.5, 74, 1.5), (4, 77, 2)]);
        c.SoftPedal(67);

        // Part 4: a bass note, a run up to D6 and back, the last note ringing under the pedal.
        c.Phrase(68, 38, [(74, .5), (76, .5), (77, .5), (79, .5), (81, .5), (83, .5), (84, .5), (86, .5), (81, .5), (77, .5), (74, 6)],
            pedalUpAfter: 2);

        return new StandardMidiFileWriter(TicksPerQuarterNote, StandardMidiFileWriter.TempoFromBpm(Bpm))
            .AddTrack(c.Events(), "Losses demo", endTick: Ticks(90))
            .ToArray();
    }

    private static long Ticks(double beats) => (long)Math.Round(beats * TicksPerQuarterNote);

    private sealed class Composer
    {
        // (event, priority at equal ticks: releases, then controllers, then note-ons)
        private readonly List<(TickedMidiEvent Event, int Priority)> _events = [];

        private void Note(double beat, double beats, int note, int velocity)
        {
            long on = Ticks(beat);
            _events.Add((TickedMidiEvent.NoteOn(on, note, velocity), 2));
            _events.Add((TickedMidiEvent.NoteOff(on + Ticks(beats), note), 0));
        }

        private void Control(double beat, int controller, int value) =>
            _events.Add((TickedMidiEvent.Control(Ticks(beat), controller, value), 1));

        /// <summary>A bass note at <paramref name="beat"/>, the melody from the next beat, sustain pedal down.</summary>
        public void Phrase(double beat, int bass, (int Note, double Beats)[] melody, double pedalUpAfter = 0)
        {
            double t = beat + 1;
            for (int i = 0; i < melody.Length; i++)
            {
                int velocity = 58 + 3 * Math.Min(i, melody.Length - 1 - i); // swells to the middle
                Note(t, melody[i].Beats * 0.9, melody[i].Note, velocity);
                t += melody[i].Beats;
            }
            Note(beat, t - beat, bass, 72);
            Control(beat + 1.0 / 16, SustainPedalCc, 127);
            Control(t + pedalUpAfter, SustainPedalCc, 0);
        }

        /// <summary>A left-hand chord held <paramref name="beats"/>, upper notes at offsets from it.</summary>
        public void Chord(double beat, double beats, int[] notes, (double At, int Note, double Beats)[] upper)
        {
            foreach (int n in notes)
                Note(beat, beats, n, 64);
            foreach (var (at, note, length) in upper)
                Note(beat + at, length * 0.9, note, 62);
        }

        /// <summary>Soft pedal pressed and released a quarter note later: the next part.</summary>
        public void SoftPedal(double beat)
        {
            Control(beat, SoftPedalCc, 127);
            Control(beat + 0.5, SoftPedalCc, 0);
        }

        public IEnumerable<TickedMidiEvent> Events() =>
            _events.Select((e, i) => (e.Event, e.Priority, i))
                .OrderBy(e => e.Event.Tick).ThenBy(e => e.Priority).ThenBy(e => e.i)
                .Select(e => e.Event);
    }
}
