using System.Numerics;
using Losses.Protocol;
using Losses.Visualiser.Graphics;

namespace Losses.Visualiser.Scenes;

/// <summary>
/// Parts 2 and 3: the target Lissajous knot (white) and the learned one (red),
/// g(t) = ⟨cos(nₓt + a), cos(n_y t + b), cos(n_z t + c)⟩, as 3D curves in perspective, orbiting.
/// </summary>
public static class KnotScene
{
    public const int Segments = 900;
    /// <summary>Orbit speed around the vertical axis, radians per second.</summary>
    public const double OrbitSpeed = 0.35;
    public const float Tilt = 0.45f;
    /// <summary>Camera distance from the knot's centre (the knot fills the cube [−1, 1]³).</summary>
    public const float CameraDistance = 4f;

    public static readonly Vector4 TargetColour = new(1, 1, 1, 1);
    public static readonly Vector4 LearnedColour = new(1, 0.15f, 0.1f, 1);

    public static Vector3 Evaluate(in Int3 n, in Float4 phase, float t) =>
        new(MathF.Cos(n[0] * t + phase[0]), MathF.Cos(n[1] * t + phase[1]), MathF.Cos(n[2] * t + phase[2]));

    /// <summary>Where a point of the knot lands at time <paramref name="now"/> (the orbit turns with the clock).</summary>
    public static Vector2 ToPixel(Vector3 p, double now, int width, int height)
    {
        float orbit = (float)(now * OrbitSpeed % Math.Tau);
        Matrix4x4 rotation = Matrix4x4.CreateRotationY(orbit) * Matrix4x4.CreateRotationX(Tilt);
        Vector3 r = Vector3.Transform(p, rotation);
        float depth = CameraDistance - r.Z;
        float focal = 0.42f * height * (CameraDistance - 1.2f);
        return new Vector2(width * 0.5f + r.X * focal / depth, height * 0.5f - r.Y * focal / depth);
    }

    public static void Draw(ShapeBatch shapes, VisualState state, double now, int width, int height)
    {
        ref readonly Frame f = ref state.Current;
        float line = Math.Max(1.5f, height / 320f);
        Span<Vector2> curve = stackalloc Vector2[Segments + 1];
        Curve(curve, f.KnotN, f.Target, now, width, height);
        shapes.Polyline(curve, line, TargetColour);
        Curve(curve, f.KnotN, f.Theta, now, width, height);
        shapes.Polyline(curve, line, LearnedColour);
    }

    private static void Curve(Span<Vector2> curve, in Int3 n, in Float4 phase, double now, int width, int height)
    {
        // Integer frequencies: the knot closes after 2π.
        for (int i = 0; i < curve.Length; i++)
            curve[i] = ToPixel(Evaluate(n, phase, MathF.Tau * i / (curve.Length - 1)), now, width, height);
    }
}
