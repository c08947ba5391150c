using System.Numerics;
using Losses.Protocol;
using Losses.Visualiser.Graphics;

namespace Losses.Visualiser.Scenes;

/// <summary>
/// Parts 1 and 4: the target cubic (white) and the learned one (red) over the same sample points,
/// the points on each, and the error between them; earlier curves linger, fade and drift. The
/// geometry (view, widths, colours, fading) is scene.vert's, which the browser page draws with too.
/// </summary>
public sealed class CubicScene : IScene
{
    public void Draw(Gpu gpu, VisualState state, double now)
    {
        foreach (LingeringCubic old in state.Lingering)
        {
            float age = (float)(now - old.BornSeconds);
            if (age is < 0 or > (float)VisualState.LingerSeconds) continue;
            gpu.DrawScene(SceneShape.CubicCurve, learned: false, old.Target, old.Theta, age: age, drift: old.Drift);
            gpu.DrawScene(SceneShape.CubicCurve, learned: true, old.Target, old.Theta, age: age, drift: old.Drift);
        }

        ref readonly Frame f = ref state.Current;
        ReadOnlySpan<float> points = ((ReadOnlySpan<float>)f.Points)[..Math.Clamp(f.PointCount, 0, Frame.MaxPoints)];
        gpu.DrawScene(SceneShape.ErrorSegments, false, f.Target, f.Theta, points: points);
        gpu.DrawScene(SceneShape.CubicCurve, false, f.Target, f.Theta);
        gpu.DrawScene(SceneShape.CubicCurve, true, f.Target, f.Theta);
        gpu.DrawScene(SceneShape.SamplePoints, false, f.Target, f.Theta, points: points);
    }

    public string Describe(in Frame f) =>
        $"cubic  target {f.Target[0]:+0.00;-0.00;0.00} {f.Target[1]:+0.00;-0.00;0.00} {f.Target[2]:+0.00;-0.00;0.00} {f.Target[3]:+0.00;-0.00;0.00}";
}
