using BenchmarkDotNet.Attributes;
using Losses.Protocol;

namespace Losses.Bench.Micro;

/// <summary>The frame ring in one process: publishing a frame, and publishing then reading it back.</summary>
public class RingBenchmarks
{
    private const int Batch = 1024;
    private readonly string _name = "bench-" + Environment.ProcessId;
    private FrameRingWriter _writer = null!;
    private FrameRingReader _reader = null!;
    private Frame _frame;

    [GlobalSetup]
    public void Setup()
    {
        _writer = FrameRingWriter.Create(_name);
        _reader = FrameRingReader.Open(_name);
        _frame.Part = 1;
        _frame.PointCount = 100;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _reader.Dispose();
        _writer.Dispose();
        FrameRingWriter.Delete(_name);
    }

    [Benchmark(Description = "frame publish", OperationsPerInvoke = Batch)]
    public long Publish()
    {
        for (int i = 0; i < Batch; i++) _writer.Publish(in _frame);
        return _writer.Position;
    }

    [Benchmark(Description = "frame publish + read", OperationsPerInvoke = Batch)]
    public long PublishAndRead()
    {
        long sum = 0;
        for (int i = 0; i < Batch; i++)
        {
            _writer.Publish(in _frame);
            if (_reader.TryRead(out Frame f)) sum += f.Index;
        }
        return sum;
    }
}
