using Losses.Protocol;

namespace Losses.Tests.Protocol;

/// <summary>A ring name of its own per test, removed afterwards.</summary>
/// An engine leaves its ring for readers when it stops (4.4 MB in /dev/shm): tests name theirs here so none stays.
public sealed class TestRing(string? name = null) : IDisposable
{
    public string Name { get; } = name ?? "test-" + Guid.NewGuid().ToString("N")[..12];
    public string Path => RingLayout.PathFor(Name);

    public void Dispose() => FrameRingWriter.Delete(Name);

    /// <summary>Writes a file at a ring path as the engine would make it: this user's, mode 0600.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public static void WritePrivate(string path, byte[] bytes)
    {
        File.WriteAllBytes(path, bytes);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public static Frame FrameFor(long i)
    {
        Frame f = default;
        f.SampleTime = i * 64;
        f.TotalSteps = i * 3;
        f.Loss = i;
        f.Points[5] = i;
        return f;
    }

    public static void Publish(FrameRingWriter writer, int count)
    {
        for (int i = 0; i < count; i++)
        {
            Frame f = FrameFor(writer.Position);
            writer.Publish(in f);
        }
    }

    /// <summary>Reads everything available, checking each frame is the one the writer made for its index.</summary>
    public static List<long> Drain(FrameRingReader reader)
    {
        var seen = new List<long>();
        while (reader.TryRead(out Frame f))
        {
            Assert.Equal(f.Index * 64, f.SampleTime);
            Assert.Equal(f.Index * 3, f.TotalSteps);
            Assert.Equal((float)f.Index, f.Points[5]);
            seen.Add(f.Index);
        }
        return seen;
    }
}
