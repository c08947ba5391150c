using Losses.Plugin.Instance;

namespace Losses.Plugin.Lv2;

/// <summary>
/// The instance as LV2 runs it: run() reads the atom input — MIDI events and the host's
/// time:Position — in time order into the format-neutral <see cref="PluginInstance"/>, and the state
/// interface stores the settings under the URIDs the host mapped.
/// </summary>
internal sealed unsafe class Lv2Instance(int sampleRate, Lv2Urids urids) : PluginInstance(sampleRate)
{
    public Lv2Urids Urids { get; } = urids;

    public void Run(uint frames)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        BeginBlock((float*)PortData(Port.OutLeft), (float*)PortData(Port.OutRight), (int)frames, before);
        var sequence = (Lv2Atom*)PortData(Port.MidiIn);
        if (sequence is not null && Playing) ReadSequence(sequence, (int)frames);
        EndBlock();
    }

    /// <summary>
    /// The cycle's atom:Sequence in time order: midi:MidiEvent messages to the core at their frames,
    /// time:Position objects (the host's transport) to <see cref="Transport"/> where they fall.
    /// </summary>
    private void ReadSequence(Lv2Atom* sequence, int frames)
    {
        // The sequence body: unit and pad (8 bytes), then 8-byte-aligned events up to the body's size.
        byte* body = (byte*)(sequence + 1);
        byte* end = body + sequence->Size;
        Lv2Urids u = Urids;
        for (byte* at = body + 8; at + sizeof(Lv2AtomEvent) <= end;)
        {
            var e = (Lv2AtomEvent*)at;
            byte* data = at + sizeof(Lv2AtomEvent);
            if (data + e->Body.Size > end) break;
            int offset = (int)Math.Clamp(e->Frames, 0, frames);
            if (e->Body.Type == u.MidiEvent && e->Body.Size >= 1)
            {
                byte d1 = e->Body.Size > 1 ? data[1] : (byte)0;
                byte d2 = e->Body.Size > 2 ? data[2] : (byte)0;
                AddMidi(Math.Min(offset, Math.Max(frames - 1, 0)), data[0], d1, d2);
            }
            else if ((e->Body.Type == u.AtomObject || e->Body.Type == u.AtomBlank) && e->Body.Size >= 8 && ((uint*)data)[1] == u.TimePosition)
            {
                ReadPosition(data, data + e->Body.Size, out double? frame, out float? speed);
                Transport(offset, frame, speed ?? RollingSpeed);
            }
            at += (sizeof(Lv2AtomEvent) + e->Body.Size + 7) & ~7;
        }
    }

    /// <summary>time:frame and time:speed of a time:Position object's body (id, otype, then 8-byte-aligned properties).</summary>
    private void ReadPosition(byte* body, byte* end, out double? frame, out float? speed)
    {
        frame = null;
        speed = null;
        Lv2Urids u = Urids;
        for (byte* at = body + 8; at + 16 <= end;)
        {
            uint key = *(uint*)at;
            var value = (Lv2Atom*)(at + 8);
            byte* v = at + 16;
            if (v + value->Size > end) break;
            double? number = value->Type == u.AtomLong && value->Size >= 8 ? *(long*)v
                : value->Type == u.AtomInt && value->Size >= 4 ? *(int*)v
                : value->Type == u.AtomFloat && value->Size >= 4 ? *(float*)v
                : value->Type == u.AtomDouble && value->Size >= 8 ? *(double*)v
                : null;
            if (number is { } x && double.IsFinite(x))
            {
                if (key == u.TimeFrame) frame = x;
                else if (key == u.TimeSpeed) speed = (float)x;
            }
            at += (16 + value->Size + 7) & ~7u;
        }
    }
}
