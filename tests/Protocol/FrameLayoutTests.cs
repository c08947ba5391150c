using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Losses.Protocol;

namespace Losses.Tests.Protocol;

/// <summary>The frame is a contract between processes: a layout change must be deliberate and bump the version.</summary>
public class FrameLayoutTests
{
    [Fact]
    public void The_frame_has_the_pinned_size_and_version()
    {
        Assert.Equal(1048, Unsafe.SizeOf<Frame>());
        Assert.Equal(Frame.Size, Unsafe.SizeOf<Frame>());
        Assert.Equal(1, Frame.LayoutVersion);
        Assert.Equal(16, Unsafe.SizeOf<NoteOnEvent>());
    }

    [Theory]
    [InlineData(nameof(Frame.Index), 0)]
    [InlineData(nameof(Frame.SampleTime), 8)]
    [InlineData(nameof(Frame.SampleRate), 16)]
    [InlineData(nameof(Frame.Part), 20)]
    [InlineData(nameof(Frame.Model), 24)]
    [InlineData(nameof(Frame.Flags), 28)]
    [InlineData(nameof(Frame.TargetSteps), 32)]
    [InlineData(nameof(Frame.TotalSteps), 40)]
    [InlineData(nameof(Frame.CubicTargets), 48)]
    [InlineData(nameof(Frame.KnotTargets), 52)]
    [InlineData(nameof(Frame.Loss), 56)]
    [InlineData(nameof(Frame.Detune), 60)]
    [InlineData(nameof(Frame.Target), 64)]
    [InlineData(nameof(Frame.Theta), 80)]
    [InlineData(nameof(Frame.Gradient), 96)]
    [InlineData(nameof(Frame.KnotN), 112)]
    [InlineData(nameof(Frame.PointCount), 124)]
    [InlineData(nameof(Frame.Voices), 128)]
    [InlineData(nameof(Frame.PeakLeft), 132)]
    [InlineData(nameof(Frame.PeakRight), 136)]
    [InlineData(nameof(Frame.NoteOnCount), 140)]
    [InlineData(nameof(Frame.NoteOns), 144)]
    [InlineData(nameof(Frame.Velocities), 400)]
    [InlineData(nameof(Frame.Points), 528)]
    [InlineData(nameof(Frame.Checksum), 1040)]
    [InlineData(nameof(Frame.Reserved), 1044)]
    public void Every_field_sits_at_its_pinned_offset(string field, int offset)
    {
        Assert.Equal(offset, (int)Marshal.OffsetOf<Frame>(field));
    }

    [Fact]
    public void The_checksum_covers_every_byte_before_it()
    {
        Frame f = default;
        uint empty = Frame.ComputeChecksum(f);
        f.Points[Frame.MaxPoints - 1] = 1f;
        Assert.NotEqual(empty, Frame.ComputeChecksum(f));
        f = default;
        f.Index = 1;
        Assert.NotEqual(empty, Frame.ComputeChecksum(f));
    }
}
