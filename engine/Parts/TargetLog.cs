namespace Losses.Engine.Parts;

/// <summary>One target of the performance: a model the pianist trained from its first to its last step.</summary>
public struct TargetRecord
{
    /// <summary>The model's name in the config (<c>piece.parts</c>).</summary>
    public string Model;
    public int Part;
    public long StartSample;
    public long Steps;
    public float FirstLoss;
    public float FinalLoss;
}

/// <summary>The targets of a performance in the order they were drawn (the render's summary), the first <see cref="Capacity"/> of them; preallocated.</summary>
public sealed class TargetLog
{
    public const int Capacity = 4096;
    private readonly TargetRecord[] _records = new TargetRecord[Capacity];

    public void Clear() => Array.Clear(_records);

    /// <summary>The first <paramref name="count"/> targets drawn (at most <see cref="Capacity"/>).</summary>
    public ReadOnlySpan<TargetRecord> First(int count) => _records.AsSpan(0, Math.Clamp(count, 0, Capacity));

    /// <summary>Target number <paramref name="index"/> was drawn.</summary>
    public void Open(int index, string model, int part, long sample, long steps, float loss)
    {
        if (index < 0 || index >= Capacity) return;
        _records[index] = new TargetRecord { Model = model, Part = part, StartSample = sample, Steps = steps, FirstLoss = loss, FinalLoss = loss };
    }

    /// <summary>Target number <paramref name="index"/> stepped: its steps and loss so far (its first step's loss is its first, if it was drawn without one).</summary>
    public void Stepped(int index, long steps, float loss)
    {
        if (index < 0 || index >= Capacity) return;
        ref TargetRecord record = ref _records[index];
        if (record.Steps == 0) record.FirstLoss = loss;
        record.Steps = steps;
        record.FinalLoss = loss;
    }
}
