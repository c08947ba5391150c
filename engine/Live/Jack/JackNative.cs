using System.Runtime.InteropServices;
using System.Text;

namespace Losses.Engine.Live.Jack;

/// <summary>
/// The slice of libjack (JACK 1/2 client API, Debian `jackd2`) the engine and its tests use.
/// Calls made from the process callback are marked <see cref="SuppressGCTransitionAttribute"/>:
/// they are short, never block and never call back into managed code.
/// </summary>
internal static unsafe class JackNative
{
    private const string Lib = "libjack.so.0";

    public const string AudioType = "32 bit float mono audio";
    public const string MidiType = "8 bit raw midi";

    // JackOptions
    public const int NoStartServer = 0x01;
    // JackStatus
    public const int StatusFailure = 0x01;
    public const int StatusServerFailed = 0x10;
    // JackPortFlags
    public const uint PortIsInput = 0x1;
    public const uint PortIsOutput = 0x2;
    public const uint PortIsPhysical = 0x4;

    [StructLayout(LayoutKind.Sequential)]
    public struct MidiEvent
    {
        public uint Time;
        public nuint Size;
        public byte* Buffer;
    }

    // jack_client_open is variadic; with no extra arguments the fixed-argument call is the same on x86-64 and arm64.
    [DllImport(Lib)] public static extern nint jack_client_open(byte* name, int options, int* status);
    [DllImport(Lib)] public static extern int jack_client_close(nint client);
    [DllImport(Lib)] public static extern int jack_activate(nint client);
    [DllImport(Lib)] public static extern int jack_deactivate(nint client);
    [DllImport(Lib)] public static extern uint jack_get_sample_rate(nint client);
    [DllImport(Lib)] public static extern uint jack_get_buffer_size(nint client);
    [DllImport(Lib)] public static extern byte* jack_get_client_name(nint client);
    [DllImport(Lib)] public static extern int jack_set_process_callback(nint client, delegate* unmanaged<uint, nint, int> callback, nint arg);
    [DllImport(Lib)] public static extern int jack_set_xrun_callback(nint client, delegate* unmanaged<nint, int> callback, nint arg);
    [DllImport(Lib)] public static extern int jack_set_graph_order_callback(nint client, delegate* unmanaged<nint, int> callback, nint arg);
    [DllImport(Lib)] public static extern int jack_disconnect(nint client, byte* source, byte* destination);
    [DllImport(Lib)] public static extern int jack_port_unregister(nint client, nint port);
    [DllImport(Lib)] public static extern void jack_on_shutdown(nint client, delegate* unmanaged<nint, void> callback, nint arg);
    [DllImport(Lib)] public static extern nint jack_port_register(nint client, byte* name, byte* type, nuint flags, nuint bufferSize);
    [DllImport(Lib)] public static extern byte* jack_port_name(nint port);
    [DllImport(Lib)] public static extern int jack_connect(nint client, byte* source, byte* destination);
    [DllImport(Lib)] public static extern byte** jack_get_ports(nint client, byte* namePattern, byte* typePattern, nuint flags);
    [DllImport(Lib)] public static extern void jack_free(void* ptr);

    [DllImport(Lib), SuppressGCTransition] public static extern void* jack_port_get_buffer(nint port, uint frames);
    [DllImport(Lib), SuppressGCTransition] public static extern uint jack_midi_get_event_count(void* portBuffer);
    [DllImport(Lib), SuppressGCTransition] public static extern int jack_midi_event_get(MidiEvent* ev, void* portBuffer, uint index);
    [DllImport(Lib), SuppressGCTransition] public static extern void jack_midi_clear_buffer(void* portBuffer);
    [DllImport(Lib), SuppressGCTransition] public static extern int jack_midi_event_write(void* portBuffer, uint time, byte* data, nuint size);
    [DllImport(Lib), SuppressGCTransition] public static extern uint jack_last_frame_time(nint client);
    [DllImport(Lib)] public static extern uint jack_frame_time(nint client);

    [DllImport(Lib)] private static extern void jack_set_error_function(delegate* unmanaged<byte*, void> callback);
    [DllImport(Lib)] private static extern void jack_set_info_function(delegate* unmanaged<byte*, void> callback);

    [UnmanagedCallersOnly]
    private static void Ignore(byte* message) { }

    /// <summary>
    /// libjack prints its own diagnostics to stderr; the engine reports one clear line instead. The
    /// sink is native when it can be — libc's strlen reads the message and returns — so a message
    /// libjack logs mid-set from one of its own threads never enters managed code: a native thread's
    /// first entry makes the runtime allocate its managed Thread (seen: 6 KB after warm-up, now and then).
    /// </summary>
    public static void Quiet()
    {
        if (NativeLibrary.TryLoad("libc.so.6", out nint libc) && NativeLibrary.TryGetExport(libc, "strlen", out nint strlen))
        {
            jack_set_error_function((delegate* unmanaged<byte*, void>)strlen);
            jack_set_info_function((delegate* unmanaged<byte*, void>)strlen);
            return;
        }
        jack_set_error_function(&Ignore);
        jack_set_info_function(&Ignore);
    }

    /// <summary>Is libjack installed at all?</summary>
    public static bool LibraryPresent()
    {
        if (!NativeLibrary.TryLoad(Lib, out nint handle)) return false;
        NativeLibrary.Free(handle);
        return true;
    }

    /// <summary>A NUL-terminated UTF-8 copy (set-up calls only).</summary>
    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s + "\0");

    public static string? String(byte* p) => p is null ? null : Marshal.PtrToStringUTF8((nint)p);

    /// <summary>Port names matching a pattern, type and flags (set-up calls only).</summary>
    public static List<string> Ports(nint client, string? pattern, string type, uint flags)
    {
        var names = new List<string>();
        fixed (byte* p = pattern is null ? null : Utf8(pattern))
        fixed (byte* t = Utf8(type))
        {
            byte** list = jack_get_ports(client, p, t, flags);
            if (list is null) return names;
            for (int i = 0; list[i] is not null; i++) names.Add(String(list[i])!);
            jack_free(list);
        }
        return names;
    }

    public static int Connect(nint client, string source, string destination)
    {
        fixed (byte* s = Utf8(source))
        fixed (byte* d = Utf8(destination))
            return jack_connect(client, s, d);
    }

    public static int Disconnect(nint client, string source, string destination)
    {
        fixed (byte* s = Utf8(source))
        fixed (byte* d = Utf8(destination))
            return jack_disconnect(client, s, d);
    }

    public static nint Register(nint client, string name, string type, uint flags)
    {
        fixed (byte* n = Utf8(name))
        fixed (byte* t = Utf8(type))
            return jack_port_register(client, n, t, flags, 0);
    }

    /// <summary>Opens a client without starting a server; 0 and a status when none is running.</summary>
    public static nint Open(string name, out int status)
    {
        int s = 0;
        nint client;
        fixed (byte* n = Utf8(name)) client = jack_client_open(n, NoStartServer, &s);
        status = s;
        return client;
    }
}
