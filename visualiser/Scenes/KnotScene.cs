using Losses.Protocol;
using Losses.Visualiser.Graphics;

namespace Losses.Visualiser.Scenes;

/// <summary>
/// Parts 2 and 3: the target Lissajous knot (white) and the learned one (red),
/// g(t) = ⟨cos(nₓt + a), cos(n_y t + b), cos(n_z t + c)⟩, as 3D curves in perspective, orbiting
/// (the projection is scene.vert's, which the browser page draws with too).
/// </summary>
public sealed class KnotScene : IScene
{
    /// <summary>Orbit speed around the vertical axis, radians per second.</summary>
    public const double OrbitSpeed = 0.35;

    /// <summary>The orbit's angle at <paramref name="now"/>, worked out in doubles (a float clock loses the angle after hours).</summary>
    public static float Orbit(double now) => (float)(now * OrbitSpeed % Math.Tau);

    public void Draw(Gpu gpu, VisualState state, double now)
    {
        ref readonly Frame f = ref state.Current;
        float orbit = Orbit(now);
        gpu.DrawScene(SceneShape.KnotCurve, false, f.Target, f.Theta, f.KnotN, orbit);
        gpu.DrawScene(SceneShape.KnotCurve, true, f.Target, f.Theta, f.KnotN, orbit);
    }

    public string Describe(in Frame f) => $"knot ({f.KnotN[0]},{f.KnotN[1]},{f.KnotN[2]})  phases {f.Target[0]:0.00} {f.Target[1]:0.00} {f.Target[2]:0.00}";
}
