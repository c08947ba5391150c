namespace Losses.Engine.Osc;

/// <summary>
/// What a command from outside may ask of a playing performance: each request is taken up by the
/// audio thread at its next block, and making one never blocks or allocates. The live core is one.
/// </summary>
public interface IPerformanceRequests
{
    void RequestNextPart();
    void RequestPanic();
    /// <summary>Straight to part 1..4.</summary>
    void RequestPart(int part);
    void RequestNewTarget();
}
