namespace Losses.Engine.Learning;

/// <summary>How a model's residuals r = model − target become a loss.</summary>
public enum LossKind
{
    /// <summary>L = ½·mean(r²); ∂L/∂θ = mean(r·∂model/∂θ). The reference implementation's loss (default).</summary>
    HalfMse,

    /// <summary>L = mean(|r|); ∂L/∂θ = mean(sign(r)·∂model/∂θ), sign(0) = 0. The seed's E[√((f−fθ)²)].</summary>
    MeanAbsolute,
}
