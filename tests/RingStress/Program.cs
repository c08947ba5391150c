using System.Diagnostics;
using Losses.Protocol;

// ring-stress write NAME COUNT [CAPACITY]  — publishes COUNT checksummed frames as fast as it can
// ring-stress read NAME COUNT              — follows the ring from the start, checks every frame
// Both print one result line: key=value pairs the tests parse.

if (args.Length < 3) { Console.Error.WriteLine("usage: ring-stress write|read NAME COUNT [CAPACITY]"); return 2; }
string name = args[1];
long count = long.Parse(args[2]);

if (args[0] == "write")
{
    int capacity = args.Length > 3 ? int.Parse(args[3]) : RingLayout.DefaultCapacity;
    using var writer = FrameRingWriter.Create(name, capacity);
    Frame frame = default;
    var clock = Stopwatch.StartNew();
    for (long i = 0; i < count; i++)
    {
        Fill(ref frame, i);
        writer.Publish(in frame);
    }
    Console.WriteLine($"written={count} seconds={clock.Elapsed.TotalSeconds:0.000} generation={writer.Generation}");
    return 0;
}

if (args[0] == "read")
{
    using var reader = FrameRingReader.Open(name, RingJoin.FromStart);
    Console.WriteLine("ready");
    long bad = 0, outOfOrder = 0, last = -1;
    var clock = Stopwatch.StartNew();
    while (reader.Seen + reader.Lost < count && clock.Elapsed.TotalSeconds < 120)
    {
        if (!reader.TryRead(out Frame f)) { Thread.SpinWait(20); continue; }
        if (f.Checksum != Frame.ComputeChecksum(f) || f.TotalSteps != f.Index * 7 + 3) bad++;
        if (f.Index <= last) outOfOrder++;
        last = f.Index;
    }
    Console.WriteLine($"seen={reader.Seen} lost={reader.Lost} bad={bad} outOfOrder={outOfOrder} resyncs={reader.Resyncs} generation={reader.Generation}");
    return 0;
}

Console.Error.WriteLine($"unknown mode {args[0]}");
return 2;

// Every field derived from the index, so a frame mixed from two writes fails its checksum.
static void Fill(ref Frame f, long i)
{
    f.SampleTime = i * 64;
    f.TotalSteps = i * 7 + 3;
    f.Loss = i * 0.5f;
    f.Part = (int)(i & 3) + 1;
    for (int k = 0; k < Frame.MaxPoints; k++) f.Points[k] = (i + k) * 0.25f;
    for (int k = 0; k < 128; k++) f.Velocities[k] = (byte)(i + k);
    f.Index = i; // the ring sets it too; the checksum covers it
    f.Checksum = Frame.ComputeChecksum(f);
}
