using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace Losses.Plugin.Lv2;

/// <summary>
/// The library's C face: <c>lv2_descriptor</c> hands the host one descriptor whose function
/// pointers land here. Every entry catches everything: an exception must never unwind into the host.
/// </summary>
internal static unsafe class Lv2Entry
{
    public const string PluginUri = "urn:losses:lv2:instrument";

    private static Lv2Descriptor* s_descriptor;

    [UnmanagedCallersOnly(EntryPoint = "lv2_descriptor")]
    public static Lv2Descriptor* Descriptor(uint index)
    {
        if (index != 0) return null;
        if (s_descriptor is null)
        {
            // Native memory, never freed: the host may hold the descriptor until it unloads the library.
            var d = (Lv2Descriptor*)NativeMemory.AllocZeroed((nuint)sizeof(Lv2Descriptor));
            d->Uri = NativeText.Utf8(PluginUri);
            d->Instantiate = &Instantiate;
            d->ConnectPort = &ConnectPort;
            d->Activate = &Activate;
            d->Run = &Run;
            d->Deactivate = &Deactivate;
            d->Cleanup = &Cleanup;
            d->ExtensionData = &ExtensionData;
            s_descriptor = d;
        }
        return s_descriptor;
    }

    [UnmanagedCallersOnly]
    private static nint Instantiate(Lv2Descriptor* descriptor, double sampleRate, byte* bundlePath, Lv2Feature** features)
    {
        try
        {
            uint midiEvent = 0;
            for (Lv2Feature** f = features; f is not null && *f is not null; f++)
            {
                if (Marshal.PtrToStringUTF8((nint)(*f)->Uri) != Lv2Uris.UridMap) continue;
                var map = (Lv2UridMap*)(*f)->Data;
                fixed (byte* uri = "http://lv2plug.in/ns/ext/midi#MidiEvent\0"u8)
                    midiEvent = map->Map(map->Handle, uri);
            }
            if (midiEvent == 0)
            {
                Console.Error.WriteLine("losses: plugin: the host offers no urid:map feature: load Losses in an LV2 host that has it (every common one does)");
                return 0;
            }
            if (!(sampleRate >= 8000 && sampleRate <= 384000))
            {
                Console.Error.WriteLine($"losses: plugin: sample rate {sampleRate} Hz is outside 8000..384000: set the host's rate inside it");
                return 0;
            }
            var instance = new PluginInstance((int)Math.Round(sampleRate), midiEvent);
            return GCHandle.ToIntPtr(GCHandle.Alloc(instance));
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"losses: plugin: {e.Message}");
            return 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static PluginInstance Of(nint handle) => (PluginInstance)GCHandle.FromIntPtr(handle).Target!;

    [UnmanagedCallersOnly]
    private static void ConnectPort(nint handle, uint port, void* data) => Of(handle).Connect(port, data);

    [UnmanagedCallersOnly]
    private static void Activate(nint handle)
    {
        try { Of(handle).Activate(); }
        catch (Exception e) { Console.Error.WriteLine($"losses: plugin: {e.Message}"); }
    }

    [UnmanagedCallersOnly]
    private static void Run(nint handle, uint frames) => Of(handle).Run(frames);

    [UnmanagedCallersOnly]
    private static void Deactivate(nint handle)
    {
        try { Of(handle).Deactivate(); }
        catch (Exception e) { Console.Error.WriteLine($"losses: plugin: {e.Message}"); }
    }

    [UnmanagedCallersOnly]
    private static void Cleanup(nint handle)
    {
        GCHandle h = GCHandle.FromIntPtr(handle);
        try { ((PluginInstance)h.Target!).Deactivate(); }
        catch (Exception e) { Console.Error.WriteLine($"losses: plugin: {e.Message}"); }
        h.Free();
    }

    [UnmanagedCallersOnly]
    private static void* ExtensionData(byte* uri) => null;
}
