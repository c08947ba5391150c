using Losses.Engine.Audio;
using Losses.Engine.Config;

namespace Losses.Engine.Cli;

/// <summary>
/// What a render's summary adds when the performance did not do what the piece listens for: a model
/// starts only on a bass note (the cubic's parts, 1 and 4 by default) or a held left-hand chord (the
/// knot's, 2 and 3), and the part advances only on the part pedal. One line each: why, and what to change.
/// </summary>
public static class SummaryHints
{
    public static IEnumerable<string> For(RenderSummary s, PieceSettings piece)
    {
        if (s.CubicTargets + s.KnotTargets == 0)
        {
            int[] cubicParts = [.. Enumerable.Range(1, 4).Where(p => piece.Parts[p - 1] == "cubic")];
            int[] knotParts = [.. Enumerable.Range(1, 4).Where(p => piece.Parts[p - 1] == "knot")];
            bool bassParts = s.PartsVisited.Any(p => cubicParts.Contains(p)), chordParts = s.PartsVisited.Any(p => knotParts.Contains(p));
            string bass = $"no bass note below {piece.BassSplit}", chord = $"no left-hand chord ({piece.ChordMinNotes} notes below {piece.ChordSplit} held together)";
            yield return (bassParts, chordParts) switch
            {
                (true, false) => $"trained nothing: {bass} to start a cubic — begin a phrase with one (the notes at or above {piece.BassSplit} then train it), or raise piece.bassSplit in a config",
                (false, true) => $"trained nothing: {chord} to start a knot — hold one, or raise piece.chordSplit in a config",
                _ => $"trained nothing: {bass} (parts {string.Join(", ", cubicParts)}) and {chord} (parts {string.Join(", ", knotParts)}) to start a model — play one, or change piece.bassSplit / piece.chordSplit in a config",
            };
        }
        if (s.PartChanges == 0)
        {
            int part = s.PartsVisited.Length > 0 ? s.PartsVisited[0] : piece.StartPart;
            string pedal = piece.PartPedalController == 67 ? "the soft pedal (CC 67)" : $"controller {piece.PartPedalController} (piece.partPedalController)";
            yield return $"never left part {part}: no press of {pedal} — press it to go on to part {part % 4 + 1}, or set piece.partPedalController to the controller your pedal sends";
        }
    }
}
