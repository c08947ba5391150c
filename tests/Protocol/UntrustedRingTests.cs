using Losses.Platform;
using Losses.Protocol;

namespace Losses.Tests.Protocol;

/// <summary>Shared memory is untrusted input: whatever is in the file, a reader says what is wrong and never reads out of bounds.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public class UntrustedRingTests
{
    [Fact]
    public void A_foreign_file_is_refused_with_one_line()
    {
        using var ring = new TestRing();
        var bytes = new byte[8192];
        new Random(1).NextBytes(bytes);
        TestRing.WritePrivate(ring.Path, bytes);
        var e = Assert.Throws<RingException>(() => FrameRingReader.Open(ring.Name));
        Assert.Contains("not a Losses frame ring", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_file_too_short_for_a_header_is_refused()
    {
        using var ring = new TestRing();
        TestRing.WritePrivate(ring.Path, new byte[10]);
        var e = Assert.Throws<RingException>(() => FrameRingReader.Open(ring.Name));
        Assert.Contains("too short", e.Message);
    }

    [Theory]
    [InlineData(RingLayout.LayoutVersionOffset, 99, "layout version 99")]
    [InlineData(RingLayout.FrameSizeOffset, 1000, "frame size 1000")]
    [InlineData(RingLayout.CapacityOffset, 3, "capacity 3")]
    [InlineData(RingLayout.CapacityOffset, 1 << 30, "capacity")]
    [InlineData(RingLayout.CapacityOffset, -8, "capacity")]
    [InlineData(RingLayout.CapacityOffset, 16, "truncated")] // the file holds only 8 slots
    [InlineData(RingLayout.SlotSizeOffset, 64, "slot size")]
    public void A_header_that_does_not_add_up_is_refused(int offset, int value, string expected)
    {
        using var ring = new TestRing();
        using (var writer = FrameRingWriter.Create(ring.Name, 8)) TestRing.Publish(writer, 3);
        Patch(ring.Path, offset, BitConverter.GetBytes(value));
        var e = Assert.Throws<RingException>(() => FrameRingReader.Open(ring.Name));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_truncated_ring_is_refused()
    {
        using var ring = new TestRing();
        using (var writer = FrameRingWriter.Create(ring.Name, 8)) TestRing.Publish(writer, 3);
        using (var f = new FileStream(ring.Path, FileMode.Open)) f.SetLength(f.Length - 100);
        var e = Assert.Throws<RingException>(() => FrameRingReader.Open(ring.Name));
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData(-5L)]
    [InlineData(long.MaxValue)]
    [InlineData(1L << 62)]
    public void An_absurd_write_position_is_an_error_not_a_crash(long position)
    {
        using var ring = new TestRing();
        using var writer = FrameRingWriter.Create(ring.Name, 8);
        TestRing.Publish(writer, 3);
        using var reader = FrameRingReader.Open(ring.Name, RingJoin.FromStart);
        Patch(ring.Path, RingLayout.WritePositionOffset, BitConverter.GetBytes(position));
        var e = Assert.Throws<RingException>(() => reader.TryRead(out _));
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void Absurd_slot_sequences_and_frame_indices_never_yield_a_wrong_frame()
    {
        using var ring = new TestRing();
        using var writer = FrameRingWriter.Create(ring.Name, 8);
        TestRing.Publish(writer, 8);
        using var reader = FrameRingReader.Open(ring.Name, RingJoin.FromStart);
        int slot = RingLayout.SlotSize(Frame.Size);
        Patch(ring.Path, RingLayout.SlotsOffset + 0 * slot, BitConverter.GetBytes(long.MaxValue)); // frame 0: "overwritten"
        Patch(ring.Path, RingLayout.SlotsOffset + 1 * slot, BitConverter.GetBytes(-1L));           // frame 1: "not yet written"
        Assert.False(reader.TryRead(out _)); // frame 0 lost, frame 1 not complete: wait
        Assert.Equal(1, reader.Lost);
        Patch(ring.Path, RingLayout.SlotsOffset + 1 * slot, BitConverter.GetBytes(2L * 1 + 2));
        Patch(ring.Path, RingLayout.SlotsOffset + 1 * slot + RingLayout.SlotFrameOffset, BitConverter.GetBytes(77L)); // wrong index
        var e = Assert.Throws<RingException>(() => reader.TryRead(out _));
        Assert.Contains("corrupt", e.Message);
    }

    [Fact]
    public void An_invalid_ring_name_is_refused()
    {
        Assert.Throws<RingException>(() => FrameRingReader.Open("../etc/passwd"));
        Assert.Throws<RingException>(() => FrameRingWriter.Create("a b"));
    }

    private static void Patch(string path, long offset, byte[] bytes)
    {
        // A raw open: .NET's FileStream takes a shared flock, which the live writer's exclusive lock
        // refuses; and a live ring is append-only, which only root, clearing it first, gets past.
        using (var flags = Posix.Open(path, Posix.ReadOnly, 0, out _)) Posix.ChangeFlags(flags, 0, Posix.AppendOnlyFlag);
        using var f = Posix.Open(path, Posix.ReadWrite, 0, out int errno);
        Assert.False(f.IsInvalid, $"open {path}: errno {errno}");
        RandomAccess.Write(f, bytes, offset);
    }
}
