using Losses.Engine.Audio;
using Losses.Engine.Midi;
using Losses.Tests.Cli;

namespace Losses.Tests.Plugin;

/// <summary>four-parts.mid and its offline render (seed 5, 48 kHz, default config), made once for the plugin hosts' tests.</summary>
public static class FourPartsRender
{
    public const int Rate = 48000;
    public const ulong Seed = 5;

    private static readonly Lazy<(WavData, TimedMidiEvent[])> Made = new(() =>
    {
        string wav = Path.Combine(EngineCli.TempDir(), "four-parts.wav");
        EngineCli.Outcome r = EngineCli.Run("render", TestFiles.FourParts, "-o", wav, "--seed", Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(r.ExitCode == 0, r.Stderr);
        return (WavData.Read(wav), MidiPerformance.Load(TestFiles.FourParts, Rate).Events);
    });

    public static WavData Offline => Made.Value.Item1;
    public static TimedMidiEvent[] Events => Made.Value.Item2;
}
