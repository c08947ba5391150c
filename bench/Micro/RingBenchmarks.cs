using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Losses.Protocol;

namespace Losses.Bench.Micro;

/// <summary>
/// The frame ring in one process: publishing a frame, publishing then reading it back, and the floor a
/// publish is measured against — a plain copy of the frame's 1,048 bytes to one cache-aligned place.
/// </summary>
public unsafe class RingBenchmarks
{
    private const int Batch = 1024;
    private readonly string _name = "bench-" + Environment.ProcessId;
    private FrameRingWriter _writer = null!;
    private FrameRingReader _reader = null!;
    private Frame _frame;
    private byte* _copy;

    [GlobalSetup]
    public void Setup()
    {
        _writer = FrameRingWriter.Create(_name);
        _reader = FrameRingReader.Open(_name);
        _frame.Part = 1;
        _frame.PointCount = 100;
        _copy = (byte*)NativeMemory.AlignedAlloc(Frame.Size, 64);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_copy);
        _reader.Dispose();
        _writer.Dispose();
        FrameRingWriter.Delete(_name);
    }

    [Benchmark(Description = FloorName, OperationsPerInvoke = Batch)]
    public long PlainCopy()
    {
        var into = new Span<byte>(_copy, Frame.Size);
        for (int i = 0; i < Batch; i++)
        {
            _frame.Index = i;
            MemoryMarshal.AsBytes(new ReadOnlySpan<Frame>(in _frame)).CopyTo(into);
        }
        return *(long*)_copy;
    }

    public const string FloorName = "plain 1048-byte copy", PublishName = "frame publish";

    [Benchmark(Description = PublishName, OperationsPerInvoke = Batch)]
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
