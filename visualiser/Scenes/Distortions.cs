using System.Numerics;
using Losses.Protocol;
using Losses.Visualiser.Graphics;

namespace Losses.Visualiser.Scenes;

/// <summary>How the gradients distort the performer's video (the numbers of docs/design.md, "Distortions").</summary>
public static class Distortions
{
    /// <summary>Gradients are clamped to ±this before they move anything.</summary>
    public const float GradientClamp = 0.1f;
    /// <summary>Distortion 1: pixels of translation per unit of gradient.</summary>
    public const float PixelsPerGradient = 100;
    /// <summary>Distortion 2: amplitude of the displacement inside a bubble, pixels.</summary>
    public const float BubbleAmplitude = 100;

    public static float Clamp(float gradient) => float.IsFinite(gradient) ? Math.Clamp(gradient, -GradientClamp, GradientClamp) : 0;

    /// <summary>
    /// Distortion 1 (part 3): the red plane moves along x by 100·∂L/∂θ₁, the green along y by
    /// 100·∂L/∂θ₂, the blue along x by 100·∂L/∂θ₃; zero gradients leave the image untouched.
    /// </summary>
    public static VideoDistortion ChannelShift(in Frame f)
    {
        var d = new VideoDistortion { Mode = 1 };
        d.Red = new Vector2(PixelsPerGradient * Clamp(f.Gradient[0]), 0);
        d.Green = new Vector2(0, PixelsPerGradient * Clamp(f.Gradient[1]));
        d.Blue = new Vector2(PixelsPerGradient * Clamp(f.Gradient[2]), 0);
        return d;
    }

    /// <summary>
    /// Distortion 1 as the original piece draws it (--ldd): on a frame whose <paramref name="chance"/>
    /// (uniform in [0, 1)) falls below loss × 100, each colour plane moves by 100·∂L/∂θ of its axis
    /// in x and in y, unclamped (the original clamps only in part 4); on any other frame the plain image.
    /// </summary>
    public static VideoDistortion OriginalChannelShift(in Frame f, float chance)
    {
        var d = new VideoDistortion { Mode = 1 };
        if (!(chance < f.Loss * 100)) return d;
        static Vector2 Shift(float g) => float.IsFinite(g) ? new Vector2(PixelsPerGradient * g) : Vector2.Zero;
        d.Red = Shift(f.Gradient[0]);
        d.Green = Shift(f.Gradient[1]);
        d.Blue = Shift(f.Gradient[2]);
        return d;
    }

    /// <summary>
    /// Distortion 2 (part 4): inside each live bubble (radius height/8, shrinking to nothing over
    /// its life) the pixel at x shows the video displaced by 100·cos(5·g·t + x/300), g = (∂L/∂θ₁, ∂L/∂θ₂) clamped.
    /// </summary>
    public static VideoDistortion Bubbles(in Frame f, VisualState state, double now, int width, int height, Vector3[] scratch)
    {
        var d = new VideoDistortion
        {
            Mode = 2,
            Gradient = new Vector2(Clamp(f.Gradient[0]), Clamp(f.Gradient[1])),
            Time = (float)now,
            Amplitude = BubbleAmplitude,
            Bubbles = scratch,
        };
        int count = 0;
        // Youngest first: where bubbles overlap, the newest one shows.
        for (int i = state.Bubbles.Count - 1; i >= 0 && count < scratch.Length; i--)
        {
            Bubble b = state.Bubbles[i];
            double age = now - b.BornSeconds;
            if (age < 0 || age >= VisualState.BubbleSeconds) continue;
            float radius = BubbleRadius(height, age);
            scratch[count++] = new Vector3(b.Centre.X * width, b.Centre.Y * height, radius);
        }
        d.BubbleCount = count;
        return d;
    }

    public static float BubbleRadius(int height, double age) => (float)(height / 8.0 * (1 - age / VisualState.BubbleSeconds));

    /// <summary>Crops the video to the frame's aspect ("cover"): uv = pixel·scale + offset.</summary>
    public static (Vector2 Scale, Vector2 Offset) Cover(int videoWidth, int videoHeight, int width, int height)
    {
        float videoAspect = (float)videoWidth / videoHeight, aspect = (float)width / height;
        if (videoAspect > aspect)
        {
            float part = aspect / videoAspect;
            return (new Vector2(part / width, 1f / height), new Vector2((1 - part) / 2, 0));
        }
        float fraction = videoAspect / aspect;
        return (new Vector2(1f / width, fraction / height), new Vector2(0, (1 - fraction) / 2));
    }
}
