using Losses.Engine.Audio;
using Losses.Engine.Midi;
using Losses.Platform;
using Losses.Protocol;

namespace Losses.Engine.Cli;

/// <summary>
/// What a render will write, known once its MIDI is parsed: refused before a byte is written
/// when the performance is longer than the limit, longer than a WAV file can hold, or larger than
/// the free space where its outputs go.
/// </summary>
internal static class RenderBounds
{
    public static void Check(MidiPerformance performance, RenderOptions options, double maxSeconds, string wavPath, string? framesPath)
    {
        int rate = options.SampleRate;
        long lastEvent = performance.Events.Length > 0 ? performance.Events[^1].SampleTime : 0;
        double seconds = (double)lastEvent / rate;
        if (seconds > maxSeconds)
            throw new LimitException($"{performance.Name}: its last event is at {Limits.Duration(seconds)}, beyond the limit of {Limits.Duration(maxSeconds)} — {Limits.RaiseHint(seconds + options.MaxTailSeconds)}");

        long shortest = lastEvent + 1; // the render ends at the last event at the earliest
        long wavMaxFrames = WavWriter.MaxDataBytes / 8;
        if (shortest > wavMaxFrames)
            throw new LimitException($"{performance.Name}: {Limits.Duration(seconds)} of audio is more than one WAV file holds (4 GiB: {Limits.Duration((double)wavMaxFrames / rate)} at {rate} Hz) — lower --sample-rate or split the performance");

        // The longest it can be: every voice rings out for the whole tail.
        long frames = Math.Min(wavMaxFrames, lastEvent + 1 + (long)(options.MaxTailSeconds * rate));
        long wavBytes = WavWriter.FileBytes(frames);
        if (framesPath is null)
        {
            Limits.CheckFreeSpace((wavPath, wavBytes));
            return;
        }
        long blocks = (frames + options.Block - 1) / options.Block; // one frame per block
        Limits.CheckFreeSpace((wavPath, wavBytes), (framesPath, FrameLogWriter.HeaderSize + blocks * Frame.Size));
    }
}
