using System.Runtime.InteropServices;
using System.Text;

namespace Losses.Tests.Plugin;

/// <summary>
/// A minimal CLAP host in the test process (no CLAP host is packaged here): finds the data symbol
/// clap_entry, walks entry → factory → plugin, and drives notes, MIDI and parameter events through
/// process() at whatever block sizes a test asks for. The layouts are clap/*.h transcribed apart
/// from the plugin's own, so a wrong layout on either side shows.
/// </summary>
public sealed unsafe class ClapTestHost : IDisposable
{
    public const ushort NoteOn = 0, NoteOff = 1, ParamValue = 5, Midi = 10;
    private const int EventBytes = 1 << 16;

    private readonly nint _plugin;
    private readonly byte* _events = (byte*)NativeMemory.AllocZeroed(EventBytes);
    private readonly int* _eventAt = (int*)NativeMemory.AllocZeroed(1024, sizeof(int));
    private readonly nint* _inEvents = (nint*)NativeMemory.AllocZeroed(3, (nuint)sizeof(nint));
    private readonly void* _host = NativeMemory.AllocZeroed(256);
    private int _count, _used;

    public static (uint Major, uint Minor, nint Factory) Entry(string library)
    {
        nint lib = NativeLibrary.Load(library);
        var entry = (byte*)NativeLibrary.GetExport(lib, "clap_entry");
        var init = *(delegate* unmanaged<byte*, byte>*)(entry + 16);
        var getFactory = *(delegate* unmanaged<byte*, nint>*)(entry + 32);
        fixed (byte* path = Encoding.UTF8.GetBytes(library + "\0"))
            if (init(path) == 0) throw new InvalidOperationException("clap_entry.init failed");
        fixed (byte* id = "clap.plugin-factory\0"u8) return (*(uint*)entry, *(uint*)(entry + 4), getFactory(id));
    }

    public static string DescriptorId(nint factory, out uint count)
    {
        count = (*(delegate* unmanaged<nint, uint>*)factory)(factory);
        nint d = (*(delegate* unmanaged<nint, uint, nint>*)(factory + 8))(factory, 0);
        return Marshal.PtrToStringUTF8(*(nint*)(d + 16))!;
    }

    public ClapTestHost(string library)
    {
        var (_, _, factory) = Entry(library);
        string id = DescriptorId(factory, out _);
        var create = *(delegate* unmanaged<nint, void*, byte*, nint>*)(factory + 16);
        fixed (byte* idBytes = Encoding.UTF8.GetBytes(id + "\0")) _plugin = create(factory, _host, idBytes);
        if (_plugin == 0) throw new InvalidOperationException("create_plugin failed");
        if (((delegate* unmanaged<nint, byte>)Slot(16))(_plugin) == 0) throw new InvalidOperationException("init failed");
        _inEvents[0] = 0; // ctx: unused, the callbacks read the host of the calling thread
        _inEvents[1] = (nint)(delegate* unmanaged<nint, uint>)&Size;
        _inEvents[2] = (nint)(delegate* unmanaged<nint, uint, nint>)&Get;
    }

    private nint Slot(int offset) => *(nint*)(_plugin + offset);

    public nint Extension(string id)
    {
        fixed (byte* b = Encoding.UTF8.GetBytes(id + "\0")) return ((delegate* unmanaged<nint, byte*, nint>)Slot(80))(_plugin, b);
    }

    public bool Activate(double rate, uint min, uint max) => ((delegate* unmanaged<nint, double, uint, uint, byte>)Slot(32))(_plugin, rate, min, max) != 0
        && ((delegate* unmanaged<nint, byte>)Slot(48))(_plugin) != 0;

    [ThreadStatic] private static ClapTestHost? s_current;

    [UnmanagedCallersOnly] private static uint Size(nint list) => (uint)s_current!._count;
    [UnmanagedCallersOnly] private static nint Get(nint list, uint index) => (nint)(s_current!._events + s_current._eventAt[index]);

    public void ClearEvents() { _count = 0; _used = 0; }

    private byte* Add(int size, uint time, ushort type)
    {
        byte* e = _events + _used;
        new Span<byte>(e, size).Clear();
        *(uint*)e = (uint)size;
        *(uint*)(e + 4) = time;
        *(ushort*)(e + 10) = type;
        _eventAt[_count++] = _used;
        _used += (size + 7) & ~7;
        return e;
    }

    public void AddNote(uint time, bool on, int key, double velocity, int channel = 0)
    {
        byte* e = Add(40, time, on ? NoteOn : NoteOff);
        *(int*)(e + 16) = -1;
        *(short*)(e + 22) = (short)channel;
        *(short*)(e + 24) = (short)key;
        *(double*)(e + 32) = velocity;
    }

    public void AddMidi(uint time, byte s, byte d1, byte d2)
    {
        byte* e = Add(24, time, Midi);
        e[18] = s; e[19] = d1; e[20] = d2;
    }

    public void AddParam(uint time, uint id, double value)
    {
        byte* e = Add(56, time, ParamValue);
        *(uint*)(e + 16) = id;
        *(int*)(e + 32) = -1;
        *(short*)(e + 36) = -1; *(short*)(e + 38) = -1; *(short*)(e + 40) = -1;
        *(double*)(e + 48) = value;
    }

    /// <summary>params.flush with the events added (off the audio path: before activation).</summary>
    public void Flush()
    {
        s_current = this;
        nint ext = Extension("clap.params");
        (*(delegate* unmanaged<nint, nint*, void*, void>*)(ext + 40))(_plugin, _inEvents, null);
        ClearEvents();
    }

    public double Param(uint id)
    {
        nint ext = Extension("clap.params");
        double v;
        if ((*(delegate* unmanaged<nint, uint, double*, byte>*)(ext + 16))(_plugin, id, &v) == 0) throw new InvalidOperationException($"no param {id}");
        return v;
    }

    /// <summary>The host's transport for one process(): playing or not, at this timeline sample (sent in seconds, as clap_sectime).</summary>
    public readonly record struct Transport(bool Playing, long Sample, int SampleRate);

    public (float[] Left, float[] Right) Process(int frames, Transport? transport = null)
    {
        s_current = this;
        float* left = stackalloc float[Math.Max(frames, 1)];
        float* right = stackalloc float[Math.Max(frames, 1)];
        float** channels = stackalloc float*[2] { left, right };
        // clap_audio_buffer: data32, data64, channel_count, latency, constant_mask
        byte* buffer = stackalloc byte[32];
        new Span<byte>(buffer, 32).Clear();
        *(float***)buffer = channels;
        *(uint*)(buffer + 16) = 2;
        // clap_process: steady_time, frames_count, transport, audio_inputs, audio_outputs, in/out counts, in_events, out_events
        byte* process = stackalloc byte[64];
        new Span<byte>(process, 64).Clear();
        *(long*)process = -1;
        *(uint*)(process + 8) = (uint)frames;
        *(byte**)(process + 32) = buffer;
        *(uint*)(process + 44) = 1;
        *(nint**)(process + 48) = _inEvents;
        // clap_event_transport (104 bytes): header, then flags at 16, song_pos_seconds at 32 (2^31 a second).
        byte* clapTransport = stackalloc byte[104];
        if (transport is { } t)
        {
            new Span<byte>(clapTransport, 104).Clear();
            *(uint*)clapTransport = 104;
            *(ushort*)(clapTransport + 10) = 9; // CLAP_EVENT_TRANSPORT
            *(uint*)(clapTransport + 16) = (1u << 2) | (t.Playing ? 1u << 4 : 0); // HAS_SECONDS_TIMELINE, IS_PLAYING
            *(long*)(clapTransport + 32) = (long)Math.Round(t.Sample * (double)(1L << 31) / t.SampleRate);
            *(byte**)(process + 16) = clapTransport;
        }
        int status = ((delegate* unmanaged<nint, byte*, int>)Slot(72))(_plugin, process);
        if (status != 1) throw new InvalidOperationException($"process returned {status}");
        ClearEvents();
        return (new Span<float>(left, frames).ToArray(), new Span<float>(right, frames).ToArray());
    }

    /// <summary>Plays a performance as MIDI events from this block on, in blocks of <paramref name="block"/>.</summary>
    public (float[] Left, float[] Right) Play(IReadOnlyList<Losses.Engine.Midi.TimedMidiEvent> events, long frames, int block)
    {
        var left = new float[frames];
        var right = new float[frames];
        int next = 0;
        for (long pos = 0; pos < frames; pos += block)
        {
            int n = (int)Math.Min(block, frames - pos);
            while (next < events.Count && events[next].SampleTime < pos + n)
            {
                var e = events[next++];
                AddMidi((uint)(e.SampleTime - pos), e.Status, e.Data1, e.Data2);
            }
            var (l, r) = Process(n);
            l.CopyTo(left, pos);
            r.CopyTo(right, pos);
        }
        return (left, right);
    }

    public byte[] SaveState()
    {
        nint ext = Extension("clap.state");
        var bytes = new List<byte>();
        s_state = bytes;
        nint* stream = stackalloc nint[2] { 0, (nint)(delegate* unmanaged<nint, byte*, ulong, long>)&Write };
        if ((*(delegate* unmanaged<nint, nint*, byte>*)ext)(_plugin, stream) == 0) throw new InvalidOperationException("state save failed");
        return bytes.ToArray();
    }

    public bool LoadState(byte[] state)
    {
        nint ext = Extension("clap.state");
        s_read = state;
        s_readAt = 0;
        nint* stream = stackalloc nint[2] { 0, (nint)(delegate* unmanaged<nint, byte*, ulong, long>)&Read };
        return (*(delegate* unmanaged<nint, nint*, byte>*)(ext + 8))(_plugin, stream) != 0;
    }

    [ThreadStatic] private static List<byte>? s_state;
    [ThreadStatic] private static byte[]? s_read;
    [ThreadStatic] private static int s_readAt;

    [UnmanagedCallersOnly]
    private static long Write(nint stream, byte* buffer, ulong size)
    {
        int n = (int)Math.Min(size, 7UL); // small writes: the plugin must loop until all is written
        s_state!.AddRange(new ReadOnlySpan<byte>(buffer, n).ToArray());
        return n;
    }

    [UnmanagedCallersOnly]
    private static long Read(nint stream, byte* buffer, ulong size)
    {
        int n = (int)Math.Min(Math.Min(size, 5UL), (ulong)(s_read!.Length - s_readAt));
        s_read.AsSpan(s_readAt, n).CopyTo(new Span<byte>(buffer, n));
        s_readAt += n;
        return n;
    }

    public void Dispose()
    {
        ((delegate* unmanaged<nint, void>)Slot(56))(_plugin); // stop_processing
        ((delegate* unmanaged<nint, void>)Slot(40))(_plugin); // deactivate
        ((delegate* unmanaged<nint, void>)Slot(24))(_plugin); // destroy
        NativeMemory.Free(_events);
        NativeMemory.Free(_eventAt);
        NativeMemory.Free(_inEvents);
        NativeMemory.Free(_host);
    }
}
