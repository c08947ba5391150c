using Losses.Protocol;
using Losses.Tests.Learning;
using Losses.Visualiser.Graphics;
using Losses.Visualiser.Scenes;

namespace Losses.Tests.Visualiser;

/// <summary>
/// <see cref="SineFitModel"/>'s scene: the target (white) and the learned curve (red), a·sin πx +
/// b·cos πx + c sampled at evenly spaced x across the cubic's view and drawn through the values.
/// </summary>
public sealed class SineFitScene : IScene
{
    public const int Samples = Frame.MaxPoints;
    private readonly float[] _values = new float[Samples];

    /// <summary>The model's curve at sample <paramref name="i"/> of <see cref="Samples"/> over x in [−1, 1].</summary>
    public static float Value(in Float4 c, int i)
    {
        float x = -1f + 2f * i / (Samples - 1);
        return c[0] * MathF.Sin(MathF.PI * x) + c[1] * MathF.Cos(MathF.PI * x) + c[2];
    }

    public void Draw(Gpu gpu, VisualState state, double now)
    {
        ref readonly Frame f = ref state.Current;
        for (int i = 0; i < Samples; i++) _values[i] = Value(f.Target, i);
        gpu.DrawScene(SceneShape.SampledCurve, learned: false, f.Target, f.Theta, points: _values);
        for (int i = 0; i < Samples; i++) _values[i] = Value(f.Theta, i);
        gpu.DrawScene(SceneShape.SampledCurve, learned: true, f.Target, f.Theta, points: _values);
    }

    public string Describe(in Frame f) => $"sine fit  target {f.Target[0]:+0.00;-0.00} {f.Target[1]:+0.00;-0.00} {f.Target[2]:+0.00;-0.00}";
}
