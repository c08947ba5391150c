namespace Losses.Protocol;

/// <summary>The frame ring and frame log live here (protocol issue). No dependencies beyond the BCL.</summary>
public static class ProtocolInfo
{
    public const string DefaultRingName = "losses";
}
