using Losses.Engine.Learning;

namespace Losses.Engine.Parts;

/// <summary>How a part's keys pose its model a problem and train it (docs/piece.md).</summary>
public enum PartRule
{
    /// <summary>
    /// A note below <c>piece.bassSplit</c> draws a new target; each note at or above it is a step
    /// (<c>piece.cubicStepping</c>: one per press, or at the step rate while held) and sounds detuned.
    /// The cubic's rule.
    /// </summary>
    BassNote,

    /// <summary>
    /// A chord below <c>piece.chordSplit</c> draws a new target (at most one per
    /// <c>piece.knotIntervalSeconds</c>); the model steps at the step rate while the chord is held
    /// (<c>piece.knotStepping</c>), detuning the notes <c>piece.knotDetunes</c> names. The knot's rule.
    /// </summary>
    Chord,
}

/// <summary>
/// A model as the piece plays it: its name in the config (<c>piece.parts</c>), the rule of the parts
/// that train it, the loss below which it stops stepping and the multiplier m of its detune (m·L).
/// </summary>
public sealed record PieceModel(string Name, Model Model, PartRule Rule, float StopLoss, float DetuneMultiplier);
