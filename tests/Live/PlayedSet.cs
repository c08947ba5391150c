using System.Globalization;
using Losses.Engine.Audio;
using Losses.Engine.Midi;
using Losses.Tests.Cli;

namespace Losses.Tests.Live;

/// <summary>A short performance for `live --play` sets on every backend, and its offline render (made once).</summary>
public static class PlayedSet
{
    public const ulong Seed = 7;

    /// <summary>
    /// 2.6 s touching every part of the piece: a lone note, a bass note (cubic target) and four steps,
    /// the soft pedal to part 2, a held chord training a knot, sustain. Ticks are 50 samples at 48 kHz,
    /// so events fall at varied offsets inside the buffers.
    /// </summary>
    public static string File => Performance.Value;

    /// <summary>The offline render of <see cref="File"/> (seed 7, 48 kHz, default config, block 64).</summary>
    public static WavData Offline => Render.Value;

    private static readonly Lazy<string> Performance = new(() =>
    {
        var events = new List<TickedMidiEvent>();
        long T(double s) => (long)Math.Round(s * 960);
        void Note(double on, double off, int note, int velocity)
        {
            events.Add(TickedMidiEvent.NoteOn(T(on), note, velocity));
            events.Add(TickedMidiEvent.NoteOff(T(off), note));
        }
        Note(0.101, 0.5, 72, 100);
        Note(0.303, 0.6, 36, 90);
        for (int i = 0; i < 4; i++) Note(0.5 + 0.2 * i + 0.013 * i, 0.65 + 0.2 * i, 69 + 2 * i, 100);
        events.Add(TickedMidiEvent.Control(T(1.3), 67, 127));
        events.Add(TickedMidiEvent.Control(T(1.35), 67, 0));
        foreach (int n in new[] { 48, 52, 55 }) Note(1.507, 2.3, n, 80);
        Note(1.9, 2.2, 76, 100);
        events.Add(TickedMidiEvent.Control(T(2.4), 64, 127));
        Note(2.45, 2.5, 60, 90);
        events.Add(TickedMidiEvent.Control(T(2.6), 64, 0));
        string path = Path.Combine(EngineCli.TempDir(), "played-set.mid");
        System.IO.File.WriteAllBytes(path, new StandardMidiFileWriter(480, 500_000).AddTrack(events, "played set").ToArray(0));
        return path;
    });

    private static readonly Lazy<WavData> Render = new(() =>
    {
        string wav = Path.Combine(EngineCli.TempDir(), "played-set.wav");
        EngineCli.Outcome r = EngineCli.Run("render", File, "-o", wav, "--seed", Seed.ToString(CultureInfo.InvariantCulture));
        Assert.True(r.ExitCode == 0, r.Stderr);
        return WavData.Read(wav);
    });
}
