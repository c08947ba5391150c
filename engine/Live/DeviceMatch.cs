namespace Losses.Engine.Live;

/// <summary>How a performer names a device (an ASIO driver, a MIDI input, a JACK port): its exact name, else the same letters in any case, else a part of it.</summary>
public static class DeviceMatch
{
    /// <summary>The index in <paramref name="names"/> of the device <paramref name="wanted"/> names, or −1.</summary>
    public static int Find(IReadOnlyList<string> names, string wanted)
    {
        for (int i = 0; i < names.Count; i++)
            if (names[i] == wanted) return i;
        for (int i = 0; i < names.Count; i++)
            if (names[i].Equals(wanted, StringComparison.OrdinalIgnoreCase)) return i;
        for (int i = 0; i < names.Count; i++)
            if (names[i].Contains(wanted, StringComparison.OrdinalIgnoreCase)) return i;
        return -1;
    }
}
