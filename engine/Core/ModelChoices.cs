namespace Losses.Engine.Core;

// The choices a config makes for a model and the model carries out: named here, below both.

/// <summary>How a model's residuals r = model − target become a loss.</summary>
public enum LossKind
{
    /// <summary>L = ½·mean(r²); ∂L/∂θ = mean(r·∂model/∂θ). The reference implementation's loss (default).</summary>
    HalfMse,

    /// <summary>L = mean(|r|); ∂L/∂θ = mean(sign(r)·∂model/∂θ), sign(0) = 0. The seed's E[√((f−fθ)²)].</summary>
    /// <remarks>
    /// The subgradient does not shrink near the optimum, so at a fixed learning rate the loss stalls
    /// at a floor ∝ lr. Measured (200 seeds, 1000 steps): the cubic at lr 1.0 hardly improves (median
    /// 1.3×), at 0.01 median 100×; the knot at lr 0.3 median 22×, at 0.03 median 100× in ~100 steps.
    /// </remarks>
    MeanAbsolute,
}

/// <summary>How the cubic steps from its gradient.</summary>
public enum CubicDescent
{
    /// <summary>Plain gradient descent on the cubic's coefficients in the orthonormal Legendre basis: each target at its own pace (default).</summary>
    Legendre,

    /// <summary>Along G⁻¹·∇L (Gauss–Newton, the points' Gram matrix G): every target converges at the same pace.</summary>
    Newton,

    /// <summary>Along ∇L: fast along some directions of the error, slow along others (the reference implementation).</summary>
    Plain,
}
