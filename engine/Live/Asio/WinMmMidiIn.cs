using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Losses.Engine.Live.Asio;

/// <summary>A short MIDI message as WinMM delivers it (status | data1 &lt;&lt; 8 | data2 &lt;&lt; 16), stamped on arrival.</summary>
public readonly record struct StampedMidi(long Timestamp, int Message);

/// <summary>
/// A WinMM MIDI input by P/Invoke: <c>midiInOpen</c> with a function callback that stamps each
/// short message with the monotonic clock and hands it to the audio thread through a preallocated
/// single-producer, single-consumer queue — nothing allocated per message (NAudio's MidiIn raises
/// an event with new arguments for each). Windows only; compiled on every build.
/// </summary>
[SupportedOSPlatform("windows")]
public sealed unsafe class WinMmMidiIn : IDisposable
{
    private const uint CallbackFunction = 0x30000;
    private const uint MimData = 0x3C3;
    private nint _handle;
    private GCHandle _self;

    private WinMmMidiIn(string name, SpscQueue<StampedMidi> queue)
    {
        Name = name;
        Queue = queue;
    }

    public string Name { get; }
    public SpscQueue<StampedMidi> Queue { get; }

    /// <summary>The names of the MIDI inputs here, in device order.</summary>
    public static string[] DeviceNames()
    {
        uint count = midiInGetNumDevs();
        var names = new string[count];
        for (uint i = 0; i < count; i++)
        {
            MidiInCaps caps;
            names[i] = midiInGetDevCapsW(i, &caps, (uint)sizeof(MidiInCaps)) == 0
                ? new string(caps.Name, 0, new ReadOnlySpan<char>(caps.Name, 32).IndexOf('\0') is int n and >= 0 ? n : 32)
                : $"MIDI input {i + 1}";
        }
        return names;
    }

    /// <summary>Opens and starts the input <paramref name="match"/> names (<see cref="DeviceMatch"/>).</summary>
    public static WinMmMidiIn Open(string match, SpscQueue<StampedMidi> queue)
    {
        string[] names = DeviceNames();
        int device = DeviceMatch.Find(names, match);
        if (device < 0)
            throw new AudioBackendException($"no MIDI input matches '{match}' (see: losses devices)");
        var input = new WinMmMidiIn(names[device], queue);
        input._self = GCHandle.Alloc(input);
        uint error = midiInOpen(out input._handle, (uint)device, (nint)(delegate* unmanaged[Stdcall]<nint, uint, nint, nint, nint, void>)&OnMessage,
            GCHandle.ToIntPtr(input._self), CallbackFunction);
        if (error != 0 || midiInStart(input._handle) != 0)
        {
            input.Dispose();
            throw new AudioBackendException($"MIDI input '{names[device]}' could not be opened (MMRESULT {error}): is another program using it?");
        }
        return input;
    }

    /// <summary>WinMM's callback, on its own thread: must not block or call back into WinMM.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvStdcall)])]
    private static void OnMessage(nint handle, uint message, nint instance, nint param1, nint param2)
    {
        if (message != MimData) return;
        var self = (WinMmMidiIn)GCHandle.FromIntPtr(instance).Target!;
        self.Queue.TryEnqueue(new StampedMidi(Stopwatch.GetTimestamp(), (int)param1));
    }

    public void Dispose()
    {
        if (_handle != 0)
        {
            midiInStop(_handle);
            midiInReset(_handle);
            midiInClose(_handle); // after this WinMM makes no more callbacks: the handle may be freed
            _handle = 0;
        }
        if (_self.IsAllocated) _self.Free();
    }

    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
    private struct MidiInCaps
    {
        public ushort Manufacturer;
        public ushort Product;
        public uint DriverVersion;
        public fixed char Name[32];
        public uint Support;
    }

    [DllImport("winmm.dll")] private static extern uint midiInGetNumDevs();
    [DllImport("winmm.dll")] private static extern uint midiInGetDevCapsW(nuint device, MidiInCaps* caps, uint size);
    [DllImport("winmm.dll")] private static extern uint midiInOpen(out nint handle, uint device, nint callback, nint instance, uint flags);
    [DllImport("winmm.dll")] private static extern uint midiInStart(nint handle);
    [DllImport("winmm.dll")] private static extern uint midiInStop(nint handle);
    [DllImport("winmm.dll")] private static extern uint midiInReset(nint handle);
    [DllImport("winmm.dll")] private static extern uint midiInClose(nint handle);
}
