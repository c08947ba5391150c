using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Losses.Engine.Config;
using System.Text;
using Losses.Engine.PluginState;
using Losses.Platform;

namespace Losses.Plugin.Lv2;

/// <summary>
/// The library's C face: <c>lv2_descriptor</c> hands the host one descriptor whose function
/// pointers land here. Every entry catches everything: an exception must never unwind into the host.
/// </summary>
internal static unsafe class Lv2Entry
{
    public const string PluginUri = PluginSettings.Lv2PluginUri;

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
            StayLoaded.Pin();
            Lv2Urids urids = default;
            for (Lv2Feature** f = features; f is not null && *f is not null; f++)
            {
                if (Marshal.PtrToStringUTF8((nint)(*f)->Uri) != Lv2Uris.UridMap) continue;
                var map = (Lv2UridMap*)(*f)->Data;
                urids = new Lv2Urids(Map(map, Lv2Uris.MidiEvent), Map(map, Lv2Uris.AtomString), Map(map, Lv2Uris.StateSettings))
                {
                    AtomObject = Map(map, Lv2Uris.AtomObject), AtomBlank = Map(map, Lv2Uris.AtomBlank),
                    AtomLong = Map(map, Lv2Uris.AtomLong), AtomInt = Map(map, Lv2Uris.AtomInt),
                    AtomFloat = Map(map, Lv2Uris.AtomFloat), AtomDouble = Map(map, Lv2Uris.AtomDouble),
                    TimePosition = Map(map, Lv2Uris.TimePosition), TimeFrame = Map(map, Lv2Uris.TimeFrame), TimeSpeed = Map(map, Lv2Uris.TimeSpeed),
                };
            }
            if (urids.MidiEvent == 0)
            {
                Console.Error.WriteLine("losses: plugin: the host offers no urid:map feature: load Losses in an LV2 host that has it (every common one does)");
                return 0;
            }
            if (!Limits.IsSampleRate(sampleRate))
            {
                Console.Error.WriteLine($"losses: plugin: sample rate {sampleRate} Hz is outside {Limits.SampleRates}: set the host's rate inside it");
                return 0;
            }
            var instance = new Lv2Instance((int)Math.Round(sampleRate), urids);
            return GCHandle.ToIntPtr(GCHandle.Alloc(instance));
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"losses: plugin: {e.Message}");
            return 0;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Lv2Instance Of(nint handle) => (Lv2Instance)GCHandle.FromIntPtr(handle).Target!;

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
        try { ((Lv2Instance)h.Target!).Deactivate(); }
        catch (Exception e) { Console.Error.WriteLine($"losses: plugin: {e.Message}"); }
        h.Free();
    }

    private static uint Map(Lv2UridMap* map, string uri)
    {
        byte* text = NativeText.Utf8(uri);
        try { return map->Map(map->Handle, text); }
        finally { NativeMemory.Free(text); }
    }

    private static Lv2StateInterface* s_state;

    [UnmanagedCallersOnly]
    private static void* ExtensionData(byte* uri)
    {
        if (Marshal.PtrToStringUTF8((nint)uri) != Lv2Uris.StateInterface) return null;
        if (s_state is null)
        {
            var state = (Lv2StateInterface*)NativeMemory.AllocZeroed((nuint)sizeof(Lv2StateInterface));
            state->Save = &Save;
            state->Restore = &Restore;
            s_state = state;
        }
        return s_state;
    }

    /// <summary>The settings as one atom:String property (its size counts the closing NUL, as atom:String's does).</summary>
    [UnmanagedCallersOnly]
    private static int Save(nint handle, delegate* unmanaged<void*, uint, void*, nuint, uint, uint, int> store, void* storeHandle, uint flags, Lv2Feature** features)
    {
        try
        {
            Lv2Instance instance = Of(handle);
            byte[] payload = instance.Save().ToUtf8();
            byte[] text = new byte[payload.Length + 1];
            payload.CopyTo(text, 0);
            fixed (byte* p = text)
                return store(storeHandle, instance.Urids.StateSettings, p, (nuint)text.Length, instance.Urids.AtomString, Lv2State.IsPod | Lv2State.IsPortable);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"losses: plugin: cannot save the state: {e.Message}");
            return Lv2State.ErrUnknown;
        }
    }

    /// <summary>No property: the defaults (a host's reset). A bad one: the instance keeps what it plays and the host hears why.</summary>
    [UnmanagedCallersOnly]
    private static int Restore(nint handle, delegate* unmanaged<void*, uint, nuint*, uint*, uint*, void*> retrieve, void* retrieveHandle, uint flags, Lv2Feature** features)
    {
        try
        {
            Lv2Instance instance = Of(handle);
            nuint size = 0;
            uint type = 0, valueFlags = 0;
            var value = (byte*)retrieve(retrieveHandle, instance.Urids.StateSettings, &size, &type, &valueFlags);
            PluginSettings settings = PluginSettings.Default;
            if (value is not null)
            {
                if (type != instance.Urids.AtomString)
                {
                    Console.Error.WriteLine("losses: plugin: the saved state is not the plugin's text (atom:String): it keeps its config");
                    return Lv2State.ErrBadType;
                }
                var text = new ReadOnlySpan<byte>(value, (int)Math.Min(size, int.MaxValue));
                int nul = text.IndexOf((byte)0);
                settings = PluginSettings.Parse(nul >= 0 ? text[..nul] : text);
            }
            instance.Restore(settings);
            return Lv2State.Success;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"losses: plugin: {e.Message}: it keeps its config");
            return Lv2State.ErrUnknown;
        }
    }
}
