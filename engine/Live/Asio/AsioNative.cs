using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Win32;

namespace Losses.Engine.Live.Asio;

/// <summary>ASIO SDK constants and structures (asio.h), laid out as a Windows driver expects them (long = 32 bits).</summary>
internal static class AsioSdk
{
    public const int Ok = 0, Success = 0x3f4847a0, NotPresent = -1000, NoClock = -995;

    // asioMessage selectors.
    public const int SelectorSupported = 1, EngineVersion = 2, ResetRequest = 3, BufferSizeChange = 4, ResyncRequest = 5,
        LatenciesChanged = 6, SupportsTimeInfo = 7, SupportsTimeCode = 8, Overload = 15;

    public const int Int16Lsb = 16, Int24Lsb = 17, Int32Lsb = 18, Float32Lsb = 19;

    public static string SampleTypeName(int type) => type switch
    {
        Int16Lsb => "Int16LSB",
        Int24Lsb => "Int24LSB",
        Int32Lsb => "Int32LSB",
        Float32Lsb => "Float32LSB",
        _ => $"type {type}",
    };

    public static string ErrorName(int error) => error switch
    {
        NotPresent => "ASE_NotPresent",
        -999 => "ASE_HWMalfunction",
        -998 => "ASE_InvalidParameter",
        -997 => "ASE_InvalidMode",
        -996 => "ASE_SPNotAdvancing",
        NoClock => "ASE_NoClock",
        -994 => "ASE_NoMemory",
        _ => $"error {error}",
    };

    [StructLayout(LayoutKind.Sequential)]
    public struct BufferInfo
    {
        public int IsInput;
        public int ChannelNum;
        public nint Buffer0;
        public nint Buffer1;
    }

    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct ChannelInfo
    {
        public int Channel;
        public int IsInput;
        public int IsActive;
        public int ChannelGroup;
        public int Type;
        public fixed byte Name[32];
    }

    /// <summary>The host's callbacks: plain C functions (cdecl), with no context argument.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public unsafe struct Callbacks
    {
        public delegate* unmanaged[Cdecl]<int, int, void> BufferSwitch;
        public delegate* unmanaged[Cdecl]<double, void> SampleRateDidChange;
        public delegate* unmanaged[Cdecl]<int, int, nint, double*, int> AsioMessage;
        public delegate* unmanaged[Cdecl]<nint, int, int, nint> BufferSwitchTimeInfo;
    }
}

/// <summary>
/// One ASIO driver instance: the COM object created from its CLSID and called through its IASIO
/// vtable (thiscall on 32-bit Windows, the one convention on x64). Every call is made from the
/// thread that created it (the STA main thread) except <see cref="OutputReady"/>, which the driver
/// allows from its buffer switch.
/// </summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class AsioDriverInstance : IDisposable
{
    private const uint ClsctxInprocServer = 1;
    private nint _com;
    private readonly nint* _vtable;

    private AsioDriverInstance(nint com)
    {
        _com = com;
        _vtable = *(nint**)com;
    }

    /// <summary>HKLM\SOFTWARE\ASIO: one subkey per installed driver, holding its CLSID.</summary>
    public static string[] InstalledNames()
    {
        using RegistryKey? key = Registry.LocalMachine.OpenSubKey(@"SOFTWARE\ASIO");
        return key?.GetSubKeyNames() ?? [];
    }

    /// <summary>Creates and initialises the driver registered under <paramref name="name"/>; failures are one line for the performer.</summary>
    public static AsioDriverInstance Create(string name)
    {
        string? clsid;
        using (RegistryKey? key = Registry.LocalMachine.OpenSubKey(@"SOFTWARE\ASIO\" + name))
            clsid = key?.GetValue("CLSID") as string;
        if (clsid is null || !Guid.TryParse(clsid, out Guid guid))
            throw new AudioBackendException($"ASIO driver '{name}' has no valid CLSID in the registry: reinstall it");
        // ASIO drivers are created with their CLSID as the interface id too (there is no IASIO IID).
        int hr = CoCreateInstance(in guid, 0, ClsctxInprocServer, in guid, out nint com);
        if (hr != 0 || com == 0)
            throw new AudioBackendException($"ASIO driver '{name}' could not be created (HRESULT 0x{hr:X8}): reinstall it, or check it is a 64-bit driver");
        var driver = new AsioDriverInstance(com);
        if (driver.Init() != 1)
        {
            string message = driver.ErrorMessage();
            driver.Dispose();
            throw new AudioBackendException($"ASIO driver '{name}' failed to initialise{(message.Length > 0 ? $" ({message})" : "")}: is the interface connected and free?");
        }
        return driver;
    }

    private int Init() => ((delegate* unmanaged[Thiscall]<nint, nint, int>)_vtable[3])(_com, 0);

    public string DriverName()
    {
        byte* name = stackalloc byte[256];
        name[0] = 0;
        ((delegate* unmanaged[Thiscall]<nint, byte*, void>)_vtable[4])(_com, name);
        name[255] = 0;
        return Encoding.Latin1.GetString(name, new ReadOnlySpan<byte>(name, 256).IndexOf((byte)0));
    }

    public string ErrorMessage()
    {
        byte* text = stackalloc byte[256];
        text[0] = 0;
        ((delegate* unmanaged[Thiscall]<nint, byte*, void>)_vtable[6])(_com, text);
        text[255] = 0;
        return Encoding.Latin1.GetString(text, new ReadOnlySpan<byte>(text, 256).IndexOf((byte)0)).ReplaceLineEndings(" ").Trim();
    }

    public int Start() => ((delegate* unmanaged[Thiscall]<nint, int>)_vtable[7])(_com);
    public int Stop() => ((delegate* unmanaged[Thiscall]<nint, int>)_vtable[8])(_com);

    public int GetChannels(out int inputs, out int outputs)
    {
        int i, o;
        int e = ((delegate* unmanaged[Thiscall]<nint, int*, int*, int>)_vtable[9])(_com, &i, &o);
        (inputs, outputs) = (i, o);
        return e;
    }

    public int GetBufferSize(out int min, out int max, out int preferred, out int granularity)
    {
        int a, b, c, d;
        int e = ((delegate* unmanaged[Thiscall]<nint, int*, int*, int*, int*, int>)_vtable[11])(_com, &a, &b, &c, &d);
        (min, max, preferred, granularity) = (a, b, c, d);
        return e;
    }

    public int CanSampleRate(double rate) => ((delegate* unmanaged[Thiscall]<nint, double, int>)_vtable[12])(_com, rate);

    public int GetSampleRate(out double rate)
    {
        double r;
        int e = ((delegate* unmanaged[Thiscall]<nint, double*, int>)_vtable[13])(_com, &r);
        rate = r;
        return e;
    }

    public int SetSampleRate(double rate) => ((delegate* unmanaged[Thiscall]<nint, double, int>)_vtable[14])(_com, rate);

    public int GetChannelInfo(ref AsioSdk.ChannelInfo info)
    {
        fixed (AsioSdk.ChannelInfo* p = &info)
            return ((delegate* unmanaged[Thiscall]<nint, AsioSdk.ChannelInfo*, int>)_vtable[18])(_com, p);
    }

    public int CreateBuffers(AsioSdk.BufferInfo* infos, int channels, int bufferSize, AsioSdk.Callbacks* callbacks) =>
        ((delegate* unmanaged[Thiscall]<nint, AsioSdk.BufferInfo*, int, int, AsioSdk.Callbacks*, int>)_vtable[19])(_com, infos, channels, bufferSize, callbacks);

    public int DisposeBuffers() => ((delegate* unmanaged[Thiscall]<nint, int>)_vtable[20])(_com);

    /// <summary>Called from the buffer switch: a plain call through the vtable, nothing allocated.</summary>
    public int OutputReady() => ((delegate* unmanaged[Thiscall]<nint, int>)_vtable[23])(_com);

    /// <summary>Releases the COM object once (IUnknown::Release); later calls do nothing.</summary>
    public void Dispose()
    {
        nint com = _com;
        if (com == 0) return;
        _com = 0;
        ((delegate* unmanaged[Thiscall]<nint, uint>)_vtable[2])(com);
    }

    [DllImport("ole32.dll")]
    private static extern int CoCreateInstance(in Guid clsid, nint outer, uint context, in Guid iid, out nint instance);
}
