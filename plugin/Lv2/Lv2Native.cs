using System.Runtime.InteropServices;
using Losses.Engine.Config;
using Losses.Engine.PluginState;

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

/// <summary>LV2_State_Interface (lv2/state/state.h): the host's store and retrieve callbacks come with each call.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct Lv2StateInterface
{
    public delegate* unmanaged<nint, delegate* unmanaged<void*, uint, void*, nuint, uint, uint, int>, void*, uint, Lv2Feature**, int> Save;
    public delegate* unmanaged<nint, delegate* unmanaged<void*, uint, nuint*, uint*, uint*, void*>, void*, uint, Lv2Feature**, int> Restore;
}

internal static class Lv2Uris
{
    public const string UridMap = "http://lv2plug.in/ns/ext/urid#map";
    public const string MidiEvent = "http://lv2plug.in/ns/ext/midi#MidiEvent";
    public const string AtomSequence = "http://lv2plug.in/ns/ext/atom#Sequence";
    public const string AtomString = "http://lv2plug.in/ns/ext/atom#String";
    public const string AtomObject = "http://lv2plug.in/ns/ext/atom#Object";
    public const string AtomBlank = "http://lv2plug.in/ns/ext/atom#Blank"; // what older hosts call an object
    public const string AtomLong = "http://lv2plug.in/ns/ext/atom#Long";
    public const string AtomInt = "http://lv2plug.in/ns/ext/atom#Int";
    public const string AtomFloat = "http://lv2plug.in/ns/ext/atom#Float";
    public const string AtomDouble = "http://lv2plug.in/ns/ext/atom#Double";
    /// <summary>The host's transport on the atom input (lv2/time/time.h): where its timeline is, and how fast it moves.</summary>
    public const string TimePosition = "http://lv2plug.in/ns/ext/time#Position";
    public const string TimeFrame = "http://lv2plug.in/ns/ext/time#frame";
    public const string TimeSpeed = "http://lv2plug.in/ns/ext/time#speed";
    public const string StateInterface = "http://lv2plug.in/ns/ext/state#interface";
    /// <summary>The state's one property: <see cref="PluginSettings"/>' JSON, an atom:String.</summary>
    public const string StateSettings = PluginSettings.Lv2SettingsKey;
}

/// <summary>The URIs the instance needs, mapped by the host at instantiation.</summary>
internal readonly record struct Lv2Urids(uint MidiEvent, uint AtomString, uint StateSettings)
{
    public uint AtomObject { get; init; }
    public uint AtomBlank { get; init; }
    public uint AtomLong { get; init; }
    public uint AtomInt { get; init; }
    public uint AtomFloat { get; init; }
    public uint AtomDouble { get; init; }
    public uint TimePosition { get; init; }
    public uint TimeFrame { get; init; }
    public uint TimeSpeed { get; init; }
}

/// <summary>LV2_State_Status and LV2_State_Flags.</summary>
internal static class Lv2State
{
    public const int Success = 0, ErrUnknown = 1, ErrBadType = 2;
    public const uint IsPod = 1, IsPortable = 2;
}
