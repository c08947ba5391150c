using System.Numerics;
using Losses.Protocol;
using Losses.Visualiser.Graphics;
using Losses.Visualiser.Scenes;

namespace Losses.Tests.Visualiser;

/// <summary>Part 3 as the original piece draws it (visualise --ldd), from its facts sheet.</summary>
public class OriginalDistortionTests
{
    /// <summary>
    /// Loss 0.004: the planes move on a frame whose chance is below 0.4, by 100 px per unit of
    /// gradient in x and in y, unclamped (gradient 0.3 → 30 px, where the default clamps to 10).
    /// </summary>
    [Fact]
    public void Planes_shift_by_gradient_times_100_px_with_probability_loss_times_100()
    {
        var f = new Frame { Part = 3, Model = FrameModel.Knot, Loss = 0.004f };
        f.Gradient[0] = 0.3f;
        f.Gradient[1] = -0.05f;
        f.Gradient[2] = float.NaN;

        VideoDistortion moved = Distortions.OriginalChannelShift(f, 0.39f);
        Assert.Equal(1, moved.Mode);
        Near(new Vector2(30f, 30f), moved.Red);
        Near(new Vector2(-5f, -5f), moved.Green);
        Assert.Equal(Vector2.Zero, moved.Blue);          // a non-finite gradient moves nothing

        VideoDistortion plain = Distortions.OriginalChannelShift(f, 0.41f);
        Assert.Equal(Vector2.Zero, plain.Red);
        Assert.Equal(Vector2.Zero, plain.Green);
        Assert.Equal(Vector2.Zero, plain.Blue);

        f.Loss = 0.02f; // probability 2: every frame
        Near(new Vector2(30f, 30f), Distortions.OriginalChannelShift(f, 0.999f).Red);
        Near(new Vector2(10f, 0f), Distortions.ChannelShift(f).Red); // the default: clamped, x only
    }

    private static void Near(Vector2 expected, Vector2 actual) =>
        Assert.True(Vector2.Distance(expected, actual) < 1e-4f, $"{actual} vs {expected}");
}
