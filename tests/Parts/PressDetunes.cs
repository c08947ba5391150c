using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Midi;

namespace Losses.Tests.Parts;

/// <summary>
/// Plays a performance through the processor and reads, from the engine, the overtones' detune in
/// cents right after each key press of a cubic phrase (parts 1 and 4: a note below the bass split
/// opens a phrase, the notes at or above it are its presses). The processor renders the audio as
/// usual; each block ends just after an event so the detune is read at the press's sample.
/// </summary>
public static class PressDetunes
{
    /// <summary>One phrase: its part, and the cents at each of its presses in order.</summary>
    public sealed record Phrase(int Part, int Index, List<double> Cents);

    public static List<Phrase> Measure(TimedMidiEvent[] events, EngineConfig config, ulong seed, int rate = 48000, Action<LossesProcessor>? prepared = null)
    {
        const int MaxBlock = 512;
        var processor = new LossesProcessor(config, seed);
        processor.Prepare(rate, MaxBlock);
        prepared?.Invoke(processor);
        var left = new float[MaxBlock];
        var right = new float[MaxBlock];
        var phrases = new List<Phrase>();
        int bassSplit = config.Piece.BassSplit;
        long time = 0;
        foreach (TimedMidiEvent e in events)
        {
            while (time < e.SampleTime)
            {
                int n = (int)Math.Min(MaxBlock, e.SampleTime - time);
                processor.Process(left.AsSpan(0, n), right.AsSpan(0, n), []);
                time += n;
            }
            processor.Process(left.AsSpan(0, 1), right.AsSpan(0, 1), [e.At(0)]);
            time++;
            int part = processor.Piece.Part;
            bool noteOn = (e.Status & 0xF0) == 0x90 && e.Data2 > 0;
            if (!noteOn || part is 2 or 3) continue;
            if (e.Data1 < bassSplit) phrases.Add(new Phrase(part, phrases.Count + 1, []));
            else if (phrases.Count > 0) phrases[^1].Cents.Add(1200 * Math.Log2(1 + processor.Piece.Detune));
        }
        return phrases;
    }
}
