using System.Runtime.InteropServices;

namespace Losses.Plugin.Lv2;

// The C layouts of lv2/core/lv2.h, lv2/urid/urid.h and lv2/atom/atom.h (Debian lv2-dev), by hand.

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Lv2Descriptor
{
    public byte* Uri;
    public delegate* unmanaged<Lv2Descriptor*, double, byte*, Lv2Feature**, nint> Instantiate;
    public delegate* unmanaged<nint, uint, void*, void> ConnectPort;
    public delegate* unmanaged<nint, void> Activate;
    public delegate* unmanaged<nint, uint, void> Run;
    public delegate* unmanaged<nint, void> Deactivate;
    public delegate* unmanaged<nint, void> Cleanup;
    public delegate* unmanaged<byte*, void*> ExtensionData;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Lv2Feature
{
    public byte* Uri;
    public void* Data;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Lv2UridMap
{
    public void* Handle;
    public delegate* unmanaged<void*, byte*, uint> Map;
}

/// <summary>LV2_Atom: every atom starts with its body's size and type.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Lv2Atom
{
    public uint Size;
    public uint Type;
}

/// <summary>LV2_Atom_Event without its body: the time (frames, for audio-rate sequences) and the body's atom header.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Lv2AtomEvent
{
    public long Frames;
    public Lv2Atom Body;
}

internal static class Lv2Uris
{
    public const string UridMap = "http://lv2plug.in/ns/ext/urid#map";
    public const string MidiEvent = "http://lv2plug.in/ns/ext/midi#MidiEvent";
    public const string AtomSequence = "http://lv2plug.in/ns/ext/atom#Sequence";
}
