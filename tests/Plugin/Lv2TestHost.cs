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

        float[] defaults = [0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]; // as losses.ttl: gain 0 dB over the config's
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

    /// <summary>The host's transport at a frame of a block, as a time:Position object (time:frame a Long, time:speed a Float).</summary>
    public readonly record struct Position(int Offset, long Frame, float Speed);

    /// <summary>Runs one block with these (offset, status, data1, data2) events and transport positions; returns its audio.</summary>
    public (float[] Left, float[] Right) Run(int frames, ReadOnlySpan<(int Offset, byte S, byte D1, byte D2)> events, ReadOnlySpan<Position> positions = default)
    {
        Ensure(frames);
        // atom:Sequence: atom header (size, type), body (unit 0, pad), then 8-byte-aligned events, in time order (a position first at equal times).
        int at = 16, next = 0;
        foreach (var e in events)
        {
            for (; next < positions.Length && positions[next].Offset <= e.Offset; next++) at = WritePosition(at, positions[next]);
            *(long*)(_sequence + at) = e.Offset;
            *(uint*)(_sequence + at + 8) = 3;
            *(uint*)(_sequence + at + 12) = _midiType;
            _sequence[at + 16] = e.S; _sequence[at + 17] = e.D1; _sequence[at + 18] = e.D2;
            at += 24;
        }
        for (; next < positions.Length; next++) at = WritePosition(at, positions[next]);
        *(uint*)_sequence = (uint)(at - 8);
        *(uint*)(_sequence + 4) = _sequenceType;
        _descriptor->Run(_instance, (uint)frames);
        return (new Span<float>(_left, frames).ToArray(), new Span<float>(_right, frames).ToArray());
    }

    /// <summary>An atom event holding a time:Position object: (frames, size, type), (id 0, otype), then two properties (key, context, atom).</summary>
    private int WritePosition(int at, Position p)
    {
        *(long*)(_sequence + at) = p.Offset;
        *(uint*)(_sequence + at + 8) = 8 + 24 + 24; // the object's body: id and otype, then frame (16 + 8) and speed (16 + 4, padded to 8)
        *(uint*)(_sequence + at + 12) = MapUri("http://lv2plug.in/ns/ext/atom#Object");
        *(uint*)(_sequence + at + 16) = 0;
        *(uint*)(_sequence + at + 20) = MapUri("http://lv2plug.in/ns/ext/time#Position");
        *(uint*)(_sequence + at + 24) = MapUri("http://lv2plug.in/ns/ext/time#frame");
        *(uint*)(_sequence + at + 28) = 0;
        *(uint*)(_sequence + at + 32) = 8;
        *(uint*)(_sequence + at + 36) = MapUri("http://lv2plug.in/ns/ext/atom#Long");
        *(long*)(_sequence + at + 40) = p.Frame;
        *(uint*)(_sequence + at + 48) = MapUri("http://lv2plug.in/ns/ext/time#speed");
        *(uint*)(_sequence + at + 52) = 0;
        *(uint*)(_sequence + at + 56) = 4;
        *(uint*)(_sequence + at + 60) = MapUri("http://lv2plug.in/ns/ext/atom#Float");
        *(float*)(_sequence + at + 64) = p.Speed;
        *(uint*)(_sequence + at + 68) = 0;
        return at + 16 + 56;
    }

    public void Deactivate() => _descriptor->Deactivate(_instance);

    /// <summary>Plays a performance from this block on, in blocks of <paramref name="block"/>, for <paramref name="frames"/> samples.</summary>
    public (float[] Left, float[] Right) Play(IReadOnlyList<Losses.Engine.Midi.TimedMidiEvent> events, long frames, int block)
    {
        var left = new float[frames];
        var right = new float[frames];
        var blockEvents = new List<(int, byte, byte, byte)>();
        int next = 0;
        for (long pos = 0; pos < frames; pos += block)
        {
            int n = (int)Math.Min(block, frames - pos);
            blockEvents.Clear();
            while (next < events.Count && events[next].SampleTime < pos + n)
            {
                var e = events[next++];
                blockEvents.Add(((int)(e.SampleTime - pos), e.Status, e.Data1, e.Data2));
            }
            var (l, r) = Run(n, blockEvents.ToArray());
            l.CopyTo(left, pos);
            r.CopyTo(right, pos);
        }
        return (left, right);
    }

    // lv2/state/state.h's LV2_State_Interface, transcribed apart from the plugin's.
    [StructLayout(LayoutKind.Sequential)]
    private struct StateInterface
    {
        public delegate* unmanaged<nint, delegate* unmanaged<void*, uint, void*, nuint, uint, uint, int>, void*, uint, nint*, int> Save;
        public delegate* unmanaged<nint, delegate* unmanaged<void*, uint, nuint*, uint*, uint*, void*>, void*, uint, nint*, int> Restore;
    }

    /// <summary>One saved property: its value, type URI and LV2_State_Flags.</summary>
    public sealed record StateValue(byte[] Value, string Type, uint Flags = 3);

    private static Dictionary<uint, StateValue>? s_store; // the host's store for the save in progress (one at a time)
    private static readonly object StateLock = new();

    private StateInterface* State()
    {
        fixed (byte* uri = "http://lv2plug.in/ns/ext/state#interface\0"u8)
        {
            var state = (StateInterface*)_descriptor->ExtensionData(uri);
            if (state is null) throw new InvalidOperationException("the plugin has no state:interface");
            return state;
        }
    }

    /// <summary>The host's save: every property the plugin stores, by key URI; and the status it returned.</summary>
    public (int Status, Dictionary<string, StateValue> Properties) SaveState()
    {
        lock (StateLock)
        {
            s_store = [];
            int status = State()->Save(_instance, &Store, null, 3, null);
            var byUri = s_store.ToDictionary(kv => UriOf(kv.Key), kv => kv.Value);
            s_store = null;
            return (status, byUri);
        }
    }

    /// <summary>The host's restore from these properties (key URI → value); returns the plugin's LV2_State_Status.</summary>
    public int RestoreState(IReadOnlyDictionary<string, StateValue> properties)
    {
        lock (StateLock)
        {
            // Native copies: the values must stay put for the whole restore call.
            var native = new Dictionary<uint, (nint Value, nuint Size, uint Type, uint Flags)>();
            foreach (var (key, v) in properties)
            {
                nint copy = (nint)NativeMemory.Alloc((nuint)Math.Max(1, v.Value.Length));
                v.Value.CopyTo(new Span<byte>((void*)copy, v.Value.Length));
                native[MapUri(key)] = (copy, (nuint)v.Value.Length, MapUri(v.Type), v.Flags);
            }
            s_retrieve = native;
            try { return State()->Restore(_instance, &Retrieve, null, 0, null); }
            finally
            {
                s_retrieve = null;
                foreach (var v in native.Values) NativeMemory.Free((void*)v.Value);
            }
        }
    }

    private static Dictionary<uint, (nint Value, nuint Size, uint Type, uint Flags)>? s_retrieve;

    [UnmanagedCallersOnly]
    private static int Store(void* handle, uint key, void* value, nuint size, uint type, uint flags)
    {
        s_store![key] = new StateValue(new ReadOnlySpan<byte>(value, (int)size).ToArray(), UriOf(type), flags);
        return 0;
    }

    [UnmanagedCallersOnly]
    private static void* Retrieve(void* handle, uint key, nuint* size, uint* type, uint* flags)
    {
        if (!s_retrieve!.TryGetValue(key, out var v)) return null;
        if (size is not null) *size = v.Size;
        if (type is not null) *type = v.Type;
        if (flags is not null) *flags = v.Flags;
        return (void*)v.Value;
    }

    private static string UriOf(uint urid)
    {
        lock (Urids) return Urids.First(kv => kv.Value == urid).Key;
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
