using System.Numerics;
using Losses.Protocol;
using Losses.Visualiser.Graphics;

namespace Losses.Visualiser.Scenes;

/// <summary>
/// Parts 1 and 4: the target cubic (white) and the learned one (red) over the same sample points,
/// the points on each, and the error between them; earlier curves linger, fade and drift.
/// </summary>
public static class CubicScene
{
    /// <summary>The view shows f within ±YRange (a cubic with coefficients in [−1, 1] reaches ±4 only when all four align).</summary>
    public const float YRange = 3f;
    public const float XRange = 1.05f;
    public const int CurveSegments = 240;

    public static readonly Vector4 TargetColour = new(1, 1, 1, 1);
    public static readonly Vector4 LearnedColour = new(1, 0.15f, 0.1f, 1);
    private static readonly Vector4 ErrorColour = new(1, 0.55f, 0.5f, 0.55f);

    public static float Evaluate(in Float4 c, float x) => ((c[0] * x + c[1]) * x + c[2]) * x + c[3];

    /// <summary>Where (x, f(x)) lands on a <paramref name="width"/>×<paramref name="height"/> frame.</summary>
    public static Vector2 ToPixel(float x, float y, int width, int height) =>
        new(width * 0.5f + x / XRange * width * 0.45f, height * 0.5f - y / YRange * height * 0.45f);

    public static void Draw(ShapeBatch shapes, VisualState state, double now, int width, int height)
    {
        float line = Math.Max(1.5f, height / 300f);
        Span<Vector2> curve = stackalloc Vector2[CurveSegments + 1];
        foreach (LingeringCubic old in state.Lingering)
        {
            float age = (float)(now - old.BornSeconds);
            if (age is < 0 or > (float)VisualState.LingerSeconds) continue;
            float fade = 0.55f * (1 - age / (float)VisualState.LingerSeconds);
            Vector2 drift = old.Drift * age * (height / 720f);
            Curve(curve, old.Target, width, height, drift);
            shapes.Polyline(curve, line, TargetColour with { W = fade });
            Curve(curve, old.Theta, width, height, drift);
            shapes.Polyline(curve, line, LearnedColour with { W = fade });
        }

        ref readonly Frame f = ref state.Current;
        int points = Math.Clamp(f.PointCount, 0, Frame.MaxPoints);
        float dot = Math.Max(3, height / 160f);
        for (int i = 0; i < points; i++)
        {
            float x = f.Points[i];
            Vector2 target = ToPixel(x, Evaluate(f.Target, x), width, height);
            Vector2 learned = ToPixel(x, Evaluate(f.Theta, x), width, height);
            shapes.Line(target, learned, Math.Max(1, line * 0.5f), ErrorColour);
        }
        Curve(curve, f.Target, width, height, Vector2.Zero);
        shapes.Polyline(curve, line, TargetColour);
        Curve(curve, f.Theta, width, height, Vector2.Zero);
        shapes.Polyline(curve, line, LearnedColour);
        for (int i = 0; i < points; i++)
        {
            float x = f.Points[i];
            shapes.Point(ToPixel(x, Evaluate(f.Target, x), width, height), dot, TargetColour);
            shapes.Point(ToPixel(x, Evaluate(f.Theta, x), width, height), dot, LearnedColour);
        }
    }

    private static void Curve(Span<Vector2> curve, in Float4 c, int width, int height, Vector2 offset)
    {
        for (int i = 0; i < curve.Length; i++)
        {
            float x = -1 + 2f * i / (curve.Length - 1);
            curve[i] = ToPixel(x, Evaluate(c, x), width, height) + offset;
        }
    }
}
