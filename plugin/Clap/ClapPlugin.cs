using System.Runtime.InteropServices;
using System.Text;
using Losses.Engine.Config;
using Losses.Engine.PluginState;
using Losses.Platform;
using Losses.Plugin.Instance;

namespace Losses.Plugin.Clap;

/// <summary>
/// CLAP from the same library: the LV2 instance behind CLAP's entry, factory and plugin — one
/// note port (CLAP notes and MIDI), one stereo audio out, the per-song controls as parameters, and
/// those parameters as the state. <see cref="Process"/> allocates nothing, like LV2's run().
/// </summary>
internal static unsafe class ClapPlugin
{
    public const string Id = "org.losses.instrument";
    private const ushort NoteOn = 0, NoteOff = 1, ParamValue = 5, Transport = 9, Midi = 10;
    // clap_event_transport: flags at 16, song_pos_seconds (clap_sectime, 2^31 a second) at 32.
    private const uint HasSecondsTimeline = 1 << 2, IsPlaying = 1 << 4;
    private const double SecTimeFactor = 1L << 31;
    // Key: the parameter's name in the state. Gain is added to the config's master.gainDb, as LV2's gain control is.
    private static readonly (uint Id, Port Port, string Key, string Name, double Min, double Max, double Default, bool Stepped)[] Params =
    [
        (0, Port.GainDb, "gain", "Master gain (dB)", -60, 12, 0, false),
        (1, Port.Part, "part", "Part", 1, 4, 1, true),
        (2, Port.Seed, "seed", "Seed (read where the piece starts)", 0, 16777215, 1, true),
        (3, Port.Ring, "ring", "Frame ring (read on activation)", 0, 64, 1, true),
        (4, Port.AllocatedBytes, "", "Bytes allocated in process()", 0, 1e9, 0, true), // read-only: 0 is the contract
    ];
    private const uint ReadOnlyParam = 4;
    /// <summary>Far beyond any config (about 2 KB): a stream that goes on is not a Losses state.</summary>
    private const int MaxStateBytes = 1 << 20;

    private static ClapFactory* s_factory;
    private static ClapDescriptor* s_descriptor;
    private static ClapPortsExtension* s_audioPorts, s_notePorts;
    private static ClapParamsExtension* s_params;
    private static ClapStateExtension* s_state;

    /// <summary>One CLAP instance: the LV2 instance, its control values where LV2 ports would point, and the state's settings.</summary>
    private sealed class Instance
    {
        public PluginInstance? Lv2;
        public PluginSettings Settings = PluginSettings.Default;
        public readonly float* Controls = (float*)NativeMemory.AllocZeroed((nuint)Port.Count, sizeof(float));
        public double SampleRate;
    }

    [UnmanagedCallersOnly(EntryPoint = "losses_clap_init")]
    private static byte Init(byte* path)
    {
        StayLoaded.Pin();
        if (s_factory is not null) return 1;
        s_descriptor = Alloc<ClapDescriptor>();
        *s_descriptor = new ClapDescriptor
        {
            Major = 1, Minor = 2, Revision = 2,
            Id = NativeText.Utf8(Id), Name = NativeText.Utf8("Losses"), Vendor = NativeText.Utf8("Losses"), Url = NativeText.Utf8(""), ManualUrl = NativeText.Utf8(""), SupportUrl = NativeText.Utf8(""),
            Version = NativeText.Utf8("1.0.0"), Description = NativeText.Utf8("A piano whose overtones are detuned by the loss of a model trained by the keys."),
        };
        s_descriptor->Features = (byte**)NativeMemory.AllocZeroed(4, (nuint)sizeof(nint));
        s_descriptor->Features[0] = NativeText.Utf8("instrument");
        s_descriptor->Features[1] = NativeText.Utf8("synthesizer");
        s_descriptor->Features[2] = NativeText.Utf8("stereo");
        s_factory = Alloc<ClapFactory>();
        s_factory->GetPluginCount = &Count;
        s_factory->GetPluginDescriptor = &Descriptor;
        s_factory->CreatePlugin = &Create;
        s_audioPorts = Alloc<ClapPortsExtension>();
        s_audioPorts->Count = &AudioPortCount;
        s_audioPorts->Get = &AudioPortGet;
        s_notePorts = Alloc<ClapPortsExtension>();
        s_notePorts->Count = &NotePortCount;
        s_notePorts->Get = &NotePortGet;
        s_params = Alloc<ClapParamsExtension>();
        s_params->Count = &ParamCount;
        s_params->GetInfo = &ParamInfo;
        s_params->GetValue = &ParamGet;
        s_params->ValueToText = &ParamToText;
        s_params->TextToValue = &ParamFromText;
        s_params->Flush = &ParamFlush;
        s_state = Alloc<ClapStateExtension>();
        s_state->Save = &Save;
        s_state->Load = &Load;
        s_stereo = NativeText.Utf8("stereo");
        return 1;
    }

    [UnmanagedCallersOnly(EntryPoint = "losses_clap_deinit")]
    private static void Deinit() { } // the tables live as long as the library

    [UnmanagedCallersOnly(EntryPoint = "losses_clap_get_factory")]
    private static void* GetFactory(byte* id) => Str(id) == "clap.plugin-factory" ? s_factory : null;

    private static T* Alloc<T>() where T : unmanaged => (T*)NativeMemory.AllocZeroed((nuint)sizeof(T));

    private static string? Str(byte* p) => p is null ? null : Marshal.PtrToStringUTF8((nint)p);

    private static Instance Of(ClapPluginStruct* plugin) => (Instance)GCHandle.FromIntPtr(plugin->PluginData).Target!;

    [UnmanagedCallersOnly] private static uint Count(ClapFactory* f) => 1;
    [UnmanagedCallersOnly] private static ClapDescriptor* Descriptor(ClapFactory* f, uint index) => index == 0 ? s_descriptor : null;

    [UnmanagedCallersOnly]
    private static ClapPluginStruct* Create(ClapFactory* f, void* host, byte* id)
    {
        if (Str(id) != Id) return null;
        var instance = new Instance();
        foreach (var p in Params) instance.Controls[(int)p.Port] = (float)p.Default;
        var plugin = Alloc<ClapPluginStruct>();
        plugin->Desc = s_descriptor;
        plugin->PluginData = GCHandle.ToIntPtr(GCHandle.Alloc(instance));
        plugin->Init = &PluginInit;
        plugin->Destroy = &Destroy;
        plugin->Activate = &Activate;
        plugin->Deactivate = &Deactivate;
        plugin->StartProcessing = &StartProcessing;
        plugin->StopProcessing = &StopProcessing;
        plugin->Reset = &Reset;
        plugin->Process = &Process;
        plugin->GetExtension = &GetExtension;
        plugin->OnMainThread = &OnMainThread;
        return plugin;
    }

    [UnmanagedCallersOnly] private static byte PluginInit(ClapPluginStruct* plugin) => 1;

    [UnmanagedCallersOnly]
    private static void Destroy(ClapPluginStruct* plugin)
    {
        GCHandle h = GCHandle.FromIntPtr(plugin->PluginData);
        var instance = (Instance)h.Target!;
        instance.Lv2?.Deactivate();
        NativeMemory.Free(instance.Controls);
        h.Free();
        NativeMemory.Free(plugin);
    }

    [UnmanagedCallersOnly]
    private static byte Activate(ClapPluginStruct* plugin, double sampleRate, uint minFrames, uint maxFrames)
    {
        try
        {
            if (!Limits.IsSampleRate(sampleRate))
            {
                Console.Error.WriteLine($"losses: plugin: sample rate {sampleRate} Hz is outside {Limits.SampleRates}: set the host's rate inside it");
                return 0;
            }
            Instance instance = Of(plugin);
            var lv2 = new PluginInstance((int)Math.Round(sampleRate));
            for (uint p = (uint)Port.Part; p < (uint)Port.Count; p++) lv2.Connect(p, instance.Controls + p);
            lv2.Restore(instance.Settings);
            lv2.Activate();
            instance.SampleRate = sampleRate;
            instance.Lv2 = lv2;
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"losses: plugin: {e.Message}");
            return 0;
        }
    }

    [UnmanagedCallersOnly]
    private static void Deactivate(ClapPluginStruct* plugin)
    {
        Instance instance = Of(plugin);
        try { instance.Lv2?.Deactivate(); }
        catch (Exception e) { Console.Error.WriteLine($"losses: plugin: {e.Message}"); }
        instance.Lv2 = null;
    }

    [UnmanagedCallersOnly] private static byte StartProcessing(ClapPluginStruct* plugin) => 1;
    [UnmanagedCallersOnly] private static void StopProcessing(ClapPluginStruct* plugin) { }
    [UnmanagedCallersOnly] private static void Reset(ClapPluginStruct* plugin) { }
    [UnmanagedCallersOnly] private static void OnMainThread(ClapPluginStruct* plugin) { }

    [UnmanagedCallersOnly]
    private static int Process(ClapPluginStruct* plugin, ClapProcess* process)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        Instance instance = Of(plugin);
        PluginInstance? lv2 = instance.Lv2;
        if (lv2 is null || process->AudioOutputsCount < 1 || process->AudioOutputs[0].ChannelCount < 2) return 0; // CLAP_PROCESS_ERROR
        int n = (int)process->FramesCount;
        float** channels = process->AudioOutputs[0].Data32;
        lv2.BeginBlock(channels[0], channels[1], n, before);
        if (process->Transport is not null) ReadTransport(instance, lv2, 0, (byte*)process->Transport);
        ReadEvents(instance, lv2, process->InEvents, n);
        lv2.EndBlock();
        process->AudioOutputs[0].ConstantMask = 0;
        return 1; // CLAP_PROCESS_CONTINUE
    }

    /// <summary>Notes and MIDI become the piano's messages at their frames; parameter changes set the controls.</summary>
    /// <summary>A clap_event_transport (the block's, or an event's): the timeline's position in samples, if the host gives seconds, and whether it plays.</summary>
    private static void ReadTransport(Instance instance, PluginInstance lv2, int offset, byte* transport)
    {
        uint flags = *(uint*)(transport + 16);
        double? position = (flags & HasSecondsTimeline) != 0 ? Math.Round(*(long*)(transport + 32) * instance.SampleRate / SecTimeFactor) : null;
        lv2.Transport(offset, position, (flags & IsPlaying) != 0 ? 1f : 0f);
    }

    private static void ReadEvents(Instance instance, PluginInstance lv2, ClapInputEvents* events, int frames)
    {
        if (events is null) return;
        uint count = events->Size(events);
        int last = Math.Max(frames - 1, 0);
        for (uint i = 0; i < count; i++)
        {
            ClapEventHeader* e = events->Get(events, i);
            if (e is null || e->SpaceId != 0) continue;
            int offset = (int)Math.Min(e->Time, (uint)last);
            byte* body = (byte*)e;
            switch (e->Type)
            {
                case NoteOn or NoteOff:
                {
                    short channel = *(short*)(body + 22), key = *(short*)(body + 24);
                    double velocity = *(double*)(body + 32);
                    if (key is < 0 or > 127) break;
                    byte ch = (byte)(channel is >= 0 and < 16 ? channel : 0);
                    if (e->Type == NoteOn)
                        lv2.AddMidi(offset, (byte)(0x90 | ch), (byte)key, (byte)Math.Clamp((int)Math.Round(velocity * 127), 1, 127));
                    else
                        lv2.AddMidi(offset, (byte)(0x80 | ch), (byte)key, 0);
                    break;
                }
                case Midi:
                    lv2.AddMidi(offset, body[18], body[19], body[20]);
                    break;
                case Transport:
                    ReadTransport(instance, lv2, (int)Math.Min(e->Time, (uint)frames), body);
                    break;
                case ParamValue:
                    SetParam(instance, *(uint*)(body + 16), *(double*)(body + 48));
                    break;
            }
        }
    }

    private static void SetParam(Instance instance, uint id, double value)
    {
        if (id >= Params.Length || id == ReadOnlyParam) return;
        var p = Params[id];
        instance.Controls[(int)p.Port] = (float)Math.Clamp(value, p.Min, p.Max);
    }

    [UnmanagedCallersOnly]
    private static void* GetExtension(ClapPluginStruct* plugin, byte* id) => Str(id) switch
    {
        "clap.audio-ports" => s_audioPorts,
        "clap.note-ports" => s_notePorts,
        "clap.params" => s_params,
        "clap.state" => s_state,
        _ => null,
    };

    [UnmanagedCallersOnly] private static uint AudioPortCount(ClapPluginStruct* plugin, byte isInput) => isInput != 0 ? 0u : 1u;

    [UnmanagedCallersOnly]
    private static byte AudioPortGet(ClapPluginStruct* plugin, uint index, byte isInput, void* info)
    {
        if (isInput != 0 || index != 0) return 0;
        var b = (byte*)info;
        new Span<byte>(b, 288).Clear();
        *(uint*)b = 0;
        WriteName(b + 4, 256, "Out");
        *(uint*)(b + 260) = 1; // CLAP_AUDIO_PORT_IS_MAIN
        *(uint*)(b + 264) = 2;
        *(byte**)(b + 272) = s_stereo;
        *(uint*)(b + 280) = uint.MaxValue; // CLAP_INVALID_ID: no in-place pair
        return 1;
    }

    private static byte* s_stereo;

    [UnmanagedCallersOnly] private static uint NotePortCount(ClapPluginStruct* plugin, byte isInput) => isInput != 0 ? 1u : 0u;

    [UnmanagedCallersOnly]
    private static byte NotePortGet(ClapPluginStruct* plugin, uint index, byte isInput, void* info)
    {
        if (isInput == 0 || index != 0) return 0;
        var b = (byte*)info;
        *(uint*)b = 0;
        *(uint*)(b + 4) = 1 | 2; // CLAP and MIDI dialects
        *(uint*)(b + 8) = 2; // MIDI preferred: the piano speaks it
        WriteName(b + 12, 256, "Piano");
        return 1;
    }

    private static void WriteName(byte* at, int size, string name)
    {
        var span = new Span<byte>(at, size);
        span.Clear();
        Encoding.UTF8.GetBytes(name.AsSpan(), span[..(size - 1)]);
    }

    [UnmanagedCallersOnly] private static uint ParamCount(ClapPluginStruct* plugin) => (uint)Params.Length;

    [UnmanagedCallersOnly]
    private static byte ParamInfo(ClapPluginStruct* plugin, uint index, byte* b)
    {
        if (index >= Params.Length) return 0;
        var p = Params[index];
        new Span<byte>(b, 1320).Clear();
        *(uint*)b = p.Id;
        // CLAP_PARAM_IS_STEPPED 1, IS_AUTOMATABLE 32: gain, part and seed (read where the piece starts again); the ring acts on activation only.
        // CLAP_PARAM_IS_READONLY 8 and IS_HIDDEN 4 for the allocation count.
        *(uint*)(b + 4) = (p.Stepped ? 1u : 0u) | (p.Port is Port.GainDb or Port.Part or Port.Seed ? 32u : 0u) | (p.Id == ReadOnlyParam ? 8u | 4u : 0u);
        WriteName(b + 16, 256, p.Name);
        *(double*)(b + 1296) = p.Min;
        *(double*)(b + 1304) = p.Max;
        *(double*)(b + 1312) = p.Default;
        return 1;
    }

    [UnmanagedCallersOnly]
    private static byte ParamGet(ClapPluginStruct* plugin, uint id, double* value)
    {
        if (id >= Params.Length) return 0;
        *value = Of(plugin).Controls[(int)Params[id].Port];
        return 1;
    }

    [UnmanagedCallersOnly]
    private static byte ParamToText(ClapPluginStruct* plugin, uint id, double value, byte* text, uint size)
    {
        if (id >= Params.Length || size < 2) return 0;
        string s = Params[id].Stepped ? ((long)Math.Round(value)).ToString(System.Globalization.CultureInfo.InvariantCulture)
            : value.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) + " dB";
        WriteName(text, (int)Math.Min(size, 64u), s);
        return 1;
    }

    [UnmanagedCallersOnly]
    private static byte ParamFromText(ClapPluginStruct* plugin, uint id, byte* text, double* value)
    {
        string? s = Str(text)?.Replace("dB", "").Trim();
        if (id >= Params.Length || !double.TryParse(s, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v)) return 0;
        *value = v;
        return 1;
    }

    [UnmanagedCallersOnly]
    private static void ParamFlush(ClapPluginStruct* plugin, ClapInputEvents* events, void* outEvents)
    {
        Instance instance = Of(plugin);
        if (events is null) return;
        uint count = events->Size(events);
        for (uint i = 0; i < count; i++)
        {
            ClapEventHeader* e = events->Get(events, i);
            if (e is not null && e->SpaceId == 0 && e->Type == ParamValue) SetParam(instance, *(uint*)((byte*)e + 16), *(double*)((byte*)e + 48));
        }
    }

    /// <summary>The state: <see cref="PluginSettings"/>' JSON — LV2's state, with the parameter values.</summary>
    [UnmanagedCallersOnly]
    private static byte Save(ClapPluginStruct* plugin, ClapStream* stream)
    {
        try
        {
            Instance instance = Of(plugin);
            var parameters = new (string, double)[ReadOnlyParam];
            for (int i = 0; i < ReadOnlyParam; i++) parameters[i] = (Params[i].Key, instance.Controls[(int)Params[i].Port]);
            instance.Lv2?.Save(); // closes the rings earlier loads left
            byte[] bytes = instance.Settings.ToUtf8(parameters);
            fixed (byte* p = bytes)
            {
                for (int done = 0; done < bytes.Length;)
                {
                    long w = stream->ReadOrWrite(stream, p + done, (ulong)(bytes.Length - done));
                    if (w <= 0) return 0;
                    done += (int)w;
                }
            }
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"losses: plugin: cannot save the state: {e.Message}");
            return 0;
        }
    }

    /// <summary>
    /// Read whole, then checked, then applied: a bad state changes nothing and the host gets false.
    /// On an active instance the new config takes over between two process() calls (<see cref="PluginInstance.Restore"/>).
    /// </summary>
    [UnmanagedCallersOnly]
    private static byte Load(ClapPluginStruct* plugin, ClapStream* stream)
    {
        try
        {
            Instance instance = Of(plugin);
            var bytes = new MemoryStream();
            byte* chunk = stackalloc byte[4096];
            while (true)
            {
                long r = stream->ReadOrWrite(stream, chunk, 4096);
                if (r < 0) { Console.Error.WriteLine("losses: plugin: the host could not read the saved state: it keeps its config"); return 0; }
                if (r == 0) break;
                bytes.Write(new ReadOnlySpan<byte>(chunk, (int)r));
                if (bytes.Length > MaxStateBytes) throw new ConfigException($"{PluginSettings.Source}: longer than {MaxStateBytes} bytes: not a Losses state");
            }
            var values = new Dictionary<string, double>();
            PluginSettings settings = PluginSettings.Parse(bytes.ToArray(), values);
            foreach (string key in values.Keys)
                if (Array.FindIndex(Params, p => p.Key == key && p.Id != ReadOnlyParam) < 0)
                    throw new ConfigException($"{PluginSettings.Source}: unknown parameter 'parameters.{key}'");

            // The parameters first (a restored seed and ring are read as the new config is prepared), undone if that fails.
            var before = new float[(int)Port.Count];
            for (int i = 0; i < before.Length; i++) before[i] = instance.Controls[i];
            foreach (var p in Params)
                if (values.TryGetValue(p.Key, out double v)) SetParam(instance, p.Id, v);
            try { instance.Lv2?.Restore(settings); }
            catch
            {
                for (int i = 0; i < before.Length; i++) instance.Controls[i] = before[i];
                throw;
            }
            instance.Settings = settings;
            return 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"losses: plugin: {e.Message}: it keeps its config");
            return 0;
        }
    }
}
