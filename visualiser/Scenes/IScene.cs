using Losses.Protocol;
using Losses.Visualiser.Graphics;

namespace Losses.Visualiser.Scenes;

/// <summary>
/// How one kind of model is drawn over the parts (the frame's <see cref="Frame.Model"/> picks it):
/// its curves from the frame's target, θ, integers and points, and its line on the HUD. A new model
/// is one scene given to <see cref="Stage.Add"/>. Draw runs every frame: it must not allocate.
/// </summary>
public interface IScene
{
    void Draw(Gpu gpu, VisualState state, double now);

    /// <summary>The HUD's line for the model: its name and what it is fitting.</summary>
    string Describe(in Frame f);
}
