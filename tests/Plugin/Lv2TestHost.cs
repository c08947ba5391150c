using System.Runtime.InteropServices;
using System.Text;

namespace Losses.Tests.Plugin;

/// <summary>
/// A minimal LV2 host in the test process: dlopens the bundle's library, maps URIs, feeds MIDI as
/// an atom:Sequence and runs whatever block sizes a test asks for (JACK hosts only ever run one).
/// The library carries its own NativeAOT runtime beside this process's CoreCLR.
/// </summary>
public sealed unsafe class Lv2TestHost : IDisposable
{
    public const uint MidiIn = 0, OutLeft = 1, OutRight = 2, Part = 3, Seed = 4, Gain = 5, Ring = 6, NewTarget = 7, Panic = 8,
        Loss = 9, CurrentPart = 10, AllocatedBytes = 11, Ports = 12;
    private const int SequenceBytes = 1 << 16;

    private static readonly Dictionary<string, uint> Urids = [];
    private readonly nint _library;
    private readonly Descriptor* _descriptor;
    private readonly nint _instance;
    private readonly float* _controls = (float*)NativeMemory.AllocZeroed(Ports * sizeof(float));
    private readonly byte* _sequence = (byte*)NativeMemory.AllocZeroed(SequenceBytes);
    private float* _left, _right;
    private int _capacity;
    private readonly uint _midiType, _sequenceType;

    // lv2.h transcribed again, on purpose: a host sharing the plugin's own struct could not catch a wrong layout.
    [StructLayout(LayoutKind.Sequential)]
    private struct Descriptor
    {
        public byte* Uri;
        public delegate* unmanaged<Descriptor*, double, byte*, nint*, nint> Instantiate;
        public delegate* unmanaged<nint, uint, void*, void> ConnectPort;
        public delegate* unmanaged<nint, void> Activate;
        public delegate* unmanaged<nint, uint, void> Run;
        public delegate* unmanaged<nint, void> Deactivate;
        public delegate* unmanaged<nint, void> Cleanup;
        public delegate* unmanaged<byte*, void*> ExtensionData;
    }

    public Lv2TestHost(string library, int sampleRate, IReadOnlyDictionary<uint, float> controls)
    {
        _library = NativeLibrary.Load(library);
        var entry = (delegate* unmanaged<uint, Descriptor*>)NativeLibrary.GetExport(_library, "lv2_descriptor");
        _descriptor = entry(0);
        if (_descriptor is null || Marshal.PtrToStringUTF8((nint)_descriptor->Uri) != PluginBundle.Uri) throw new InvalidOperationException("lv2_descriptor(0) is not Losses");
        if (entry(1) is not null) throw new InvalidOperationException("lv2_descriptor(1) should end the list");

        // Features: urid:map only (what the plugin requires).
        nint* map = stackalloc nint[2];
        map[0] = 0;
        map[1] = (nint)(delegate* unmanaged<void*, byte*, uint>)&Map;
        nint mapUri = Marshal.StringToCoTaskMemUTF8("http://lv2plug.in/ns/ext/urid#map");
        nint* feature = stackalloc nint[2] { mapUri, (nint)map };
        nint* features = stackalloc nint[2] { (nint)feature, 0 };
        fixed (byte* bundle = "/nowhere/\0"u8) _instance = _descriptor->Instantiate(_descriptor, sampleRate, bundle, features);
        Marshal.FreeCoTaskMem(mapUri);
        if (_instance == 0) throw new InvalidOperationException("instantiate failed");
        _midiType = MapUri("http://lv2plug.in/ns/ext/midi#MidiEvent");
        _sequenceType = MapUri("http://lv2plug.in/ns/ext/atom#Sequence");

        float[] defaults = [0, 0, 0, 1, 1, Losses.Engine.Config.EngineConfig.Default.Master.GainDb, 0, 0, 0, 0, 0, 0]; // as losses.ttl: gain is the engine's default
        for (uint p = Part; p < Ports; p++)
        {
            _controls[p] = controls.TryGetValue(p, out float v) ? v : defaults[p];
            _descriptor->ConnectPort(_instance, p, _controls + p);
        }
        _descriptor->ConnectPort(_instance, MidiIn, _sequence);
        Ensure(1);
    }

    public float this[uint port] { get => _controls[port]; set => _controls[port] = value; }

    public void Activate() => _descriptor->Activate(_instance);

    /// <summary>Runs one block with these (offset, status, data1, data2) events; returns its audio.</summary>
    public (float[] Left, float[] Right) Run(int frames, ReadOnlySpan<(int Offset, byte S, byte D1, byte D2)> events)
    {
        Ensure(frames);
        // atom:Sequence: atom header (size, type), body (unit 0, pad), then 8-byte-aligned events.
        int at = 16;
        foreach (var e in events)
        {
            *(long*)(_sequence + at) = e.Offset;
            *(uint*)(_sequence + at + 8) = 3;
            *(uint*)(_sequence + at + 12) = _midiType;
            _sequence[at + 16] = e.S; _sequence[at + 17] = e.D1; _sequence[at + 18] = e.D2;
            at += 24;
        }
        *(uint*)_sequence = (uint)(at - 8);
        *(uint*)(_sequence + 4) = _sequenceType;
        _descriptor->Run(_instance, (uint)frames);
        return (new Span<float>(_left, frames).ToArray(), new Span<float>(_right, frames).ToArray());
    }

    private void Ensure(int frames)
    {
        if (frames <= _capacity) return;
        NativeMemory.Free(_left);
        NativeMemory.Free(_right);
        _capacity = Math.Max(frames, 64);
        _left = (float*)NativeMemory.AllocZeroed((nuint)_capacity * sizeof(float));
        _right = (float*)NativeMemory.AllocZeroed((nuint)_capacity * sizeof(float));
        _descriptor->ConnectPort(_instance, OutLeft, _left);
        _descriptor->ConnectPort(_instance, OutRight, _right);
    }

    private static uint MapUri(string uri)
    {
        lock (Urids)
        {
            if (!Urids.TryGetValue(uri, out uint id)) Urids[uri] = id = (uint)Urids.Count + 1;
            return id;
        }
    }

    [UnmanagedCallersOnly]
    private static uint Map(void* handle, byte* uri) => MapUri(Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(uri)));

    public void Dispose()
    {
        _descriptor->Deactivate(_instance);
        _descriptor->Cleanup(_instance);
        NativeMemory.Free(_left);
        NativeMemory.Free(_right);
        NativeMemory.Free(_controls);
        NativeMemory.Free(_sequence);
        // The library stays loaded: a NativeAOT runtime cannot be unloaded from a process.
    }
}
