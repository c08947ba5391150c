using Losses.Protocol;
using static Losses.Tests.Protocol.TestRing;

namespace Losses.Tests.Protocol;

/// <summary>Scripted edge cases of the ring, in the manner of Agrona's broadcast tests.</summary>
public class FrameRingTests
{
    [Fact]
    public void A_late_joiner_starts_at_the_next_frame_and_then_follows_every_frame()
    {
        using var ring = new TestRing();
        using var writer = FrameRingWriter.Create(ring.Name, 8);
        Publish(writer, 100);
        using var reader = FrameRingReader.Open(ring.Name);
        Assert.Empty(Drain(reader));
        Publish(writer, 3);
        Assert.Equal([100, 101, 102], Drain(reader));
        Assert.Equal(0, reader.Lost);
    }

    [Fact]
    public void A_reader_follows_across_the_wrap_around()
    {
        using var ring = new TestRing();
        using var writer = FrameRingWriter.Create(ring.Name, 8);
        using var reader = FrameRingReader.Open(ring.Name, RingJoin.FromStart);
        var seen = new List<long>();
        for (int round = 0; round < 10; round++)
        {
            Publish(writer, 6);
            seen.AddRange(Drain(reader));
        }
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (long)i), seen);
        Assert.Equal(0, reader.Lost);
    }

    [Fact]
    public void A_reader_lapped_by_the_writer_counts_what_it_lost_and_jumps_to_the_latest()
    {
        using var ring = new TestRing();
        using var writer = FrameRingWriter.Create(ring.Name, 8);
        using var reader = FrameRingReader.Open(ring.Name, RingJoin.FromStart);
        Publish(writer, 5);
        Assert.Equal(5, Drain(reader).Count);
        Publish(writer, 20);
        Assert.Equal([24], Drain(reader));
        Assert.Equal(19, reader.Lost);
        Assert.Equal(writer.Position, reader.Seen + reader.Lost);
    }

    [Fact]
    public void A_frame_overwritten_during_its_copy_is_rejected_never_accepted_torn()
    {
        using var ring = new TestRing();
        using var writer = FrameRingWriter.Create(ring.Name, 8);
        using var reader = FrameRingReader.Open(ring.Name, RingJoin.FromStart);
        Publish(writer, 4);
        bool overwritten = false;
        reader.AfterCopy = () =>
        {
            if (overwritten) return;
            overwritten = true;
            Publish(writer, 8); // a whole lap while the reader holds its copy of frame 0
        };
        List<long> seen = Drain(reader); // Drain checks every accepted frame is whole
        Assert.DoesNotContain(0L, seen);
        Assert.True(reader.Lost >= 1);
        Assert.Equal(writer.Position, reader.Seen + reader.Lost);
    }

    [Fact]
    public void A_reader_opened_before_the_engine_exists_waits_then_reads_from_its_first_frame()
    {
        using var ring = new TestRing();
        using var reader = FrameRingReader.Open(ring.Name);
        Assert.Equal(RingState.WaitingForEngine, reader.State);
        Assert.False(reader.TryRead(out _));
        using var writer = FrameRingWriter.Create(ring.Name, 8);
        Publish(writer, 3);
        Assert.Equal([0, 1, 2], Drain(reader));
        Assert.Equal(RingState.Live, reader.State);
    }

    [Fact]
    public void A_restarted_engine_is_followed_without_restarting_the_reader()
    {
        using var ring = new TestRing();
        using var reader = FrameRingReader.Open(ring.Name, RingJoin.FromStart);
        long firstGeneration;
        using (var first = FrameRingWriter.Create(ring.Name, 8))
        {
            firstGeneration = first.Generation;
            Publish(first, 10);
            Assert.Equal(10, Drain(reader).Count + reader.Lost); // 10 frames into 8 slots: lapped, counted
        }
        Assert.False(reader.TryRead(out _));
        Assert.Equal(RingState.Stopped, reader.State);

        using var second = FrameRingWriter.Create(ring.Name, 8);
        Assert.NotEqual(firstGeneration, second.Generation);
        Publish(second, 4);
        Assert.Equal([0, 1, 2, 3], Drain(reader));
        Assert.Equal(second.Generation, reader.Generation);
    }

    [Fact]
    public void A_restarted_engine_with_another_capacity_is_found_again()
    {
        using var ring = new TestRing();
        using var reader = FrameRingReader.Open(ring.Name, RingJoin.FromStart);
        using (var first = FrameRingWriter.Create(ring.Name, 8)) Publish(first, 5);
        Assert.Equal(5, Drain(reader).Count);

        using var second = FrameRingWriter.Create(ring.Name, 64);
        Publish(second, 3);
        var seen = new List<long>();
        for (int i = 0; i < 100 && seen.Count < 3; i++)
        {
            seen.AddRange(Drain(reader));
            Thread.Sleep(10); // the reader looks for a new ring at most four times a second
        }
        Assert.Equal([0, 1, 2], seen);
        Assert.Equal(64, reader.Capacity);
    }

    [Fact]
    public void Publishing_allocates_nothing()
    {
        using var ring = new TestRing();
        using var writer = FrameRingWriter.Create(ring.Name, 1024);
        Frame f = FrameFor(0);
        writer.Publish(in f);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++) writer.Publish(in f);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_ring_file_is_private_to_its_user()
    {
        if (OperatingSystem.IsWindows()) return;
        using var ring = new TestRing();
        using (FrameRingWriter.Create(ring.Name, 8))
        {
            // While an engine writes it, read-only even for its user: no one truncates it under the mapping.
            Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(ring.Path));
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ring.Path));
    }
}
