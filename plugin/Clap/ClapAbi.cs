using System.Runtime.InteropServices;

namespace Losses.Plugin.Clap;

// The CLAP 1.x ABI as this plugin uses it (clap/*.h): the structs the host and the plugin pass, laid out as C lays them out.

// The C layouts of clap/*.h (CLAP 1.2), by hand: the entry lives in clap_entry.c.

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ClapFactory
{
    public delegate* unmanaged<ClapFactory*, uint> GetPluginCount;
    public delegate* unmanaged<ClapFactory*, uint, ClapDescriptor*> GetPluginDescriptor;
    public delegate* unmanaged<ClapFactory*, void*, byte*, ClapPluginStruct*> CreatePlugin;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ClapDescriptor
{
    public uint Major, Minor, Revision;
    public byte* Id, Name, Vendor, Url, ManualUrl, SupportUrl, Version, Description;
    public byte** Features;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ClapPluginStruct
{
    public ClapDescriptor* Desc;
    public nint PluginData;
    public delegate* unmanaged<ClapPluginStruct*, byte> Init;
    public delegate* unmanaged<ClapPluginStruct*, void> Destroy;
    public delegate* unmanaged<ClapPluginStruct*, double, uint, uint, byte> Activate;
    public delegate* unmanaged<ClapPluginStruct*, void> Deactivate;
    public delegate* unmanaged<ClapPluginStruct*, byte> StartProcessing;
    public delegate* unmanaged<ClapPluginStruct*, void> StopProcessing;
    public delegate* unmanaged<ClapPluginStruct*, void> Reset;
    public delegate* unmanaged<ClapPluginStruct*, ClapProcess*, int> Process;
    public delegate* unmanaged<ClapPluginStruct*, byte*, void*> GetExtension;
    public delegate* unmanaged<ClapPluginStruct*, void> OnMainThread;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ClapProcess
{
    public long SteadyTime;
    public uint FramesCount;
    public void* Transport;
    public ClapAudioBuffer* AudioInputs;
    public ClapAudioBuffer* AudioOutputs;
    public uint AudioInputsCount;
    public uint AudioOutputsCount;
    public ClapInputEvents* InEvents;
    public void* OutEvents;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ClapAudioBuffer
{
    public float** Data32;
    public double** Data64;
    public uint ChannelCount;
    public uint Latency;
    public ulong ConstantMask;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ClapInputEvents
{
    public void* Ctx;
    public delegate* unmanaged<ClapInputEvents*, uint> Size;
    public delegate* unmanaged<ClapInputEvents*, uint, ClapEventHeader*> Get;
}

[StructLayout(LayoutKind.Sequential)]
internal struct ClapEventHeader
{
    public uint Size;
    public uint Time;
    public ushort SpaceId;
    public ushort Type;
    public uint Flags;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ClapStream
{
    public void* Ctx;
    public delegate* unmanaged<ClapStream*, void*, ulong, long> ReadOrWrite;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ClapPortsExtension
{
    public delegate* unmanaged<ClapPluginStruct*, byte, uint> Count;
    public delegate* unmanaged<ClapPluginStruct*, uint, byte, void*, byte> Get;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ClapParamsExtension
{
    public delegate* unmanaged<ClapPluginStruct*, uint> Count;
    public delegate* unmanaged<ClapPluginStruct*, uint, byte*, byte> GetInfo;
    public delegate* unmanaged<ClapPluginStruct*, uint, double*, byte> GetValue;
    public delegate* unmanaged<ClapPluginStruct*, uint, double, byte*, uint, byte> ValueToText;
    public delegate* unmanaged<ClapPluginStruct*, uint, byte*, double*, byte> TextToValue;
    public delegate* unmanaged<ClapPluginStruct*, ClapInputEvents*, void*, void> Flush;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ClapStateExtension
{
    public delegate* unmanaged<ClapPluginStruct*, ClapStream*, byte> Save;
    public delegate* unmanaged<ClapPluginStruct*, ClapStream*, byte> Load;
}
