using Losses.Engine.Config;
using Losses.Protocol;

namespace Losses.Engine.Live;

/// <summary>The live backends, as `--audio` names them.</summary>
public enum AudioBackend { Jack, Asio }

public sealed record LiveOptions
{
    /// <summary>`--audio`: ASIO on Windows, JACK elsewhere unless asked.</summary>
    public AudioBackend Audio { get; init; } = OperatingSystem.IsWindows() ? AudioBackend.Asio : AudioBackend.Jack;
    public string? Driver { get; init; }
    public string? Midi { get; init; }
    public string Ring { get; init; } = ProtocolInfo.DefaultRingName;
    public string? RecordDir { get; init; }
    public EngineConfig Config { get; init; } = EngineConfig.Default;
    public ulong Seed { get; init; } = 1;
    public bool ConnectOutputs { get; init; } = true;
    /// <summary>Stop after this much engine audio (tests, timed sets); run until quit otherwise.</summary>
    public double? DurationSeconds { get; init; }
    public string ClientName { get; init; } = "losses";
    /// <summary>Engine seconds after which allocation and GC counts are taken as the steady-state baseline.</summary>
    public double WarmUpSeconds { get; init; } = 2;
    /// <summary>`--play FILE.mid`: a performance played into the engine at its own timing, merged with the MIDI input.</summary>
    public string? PlayFile { get; init; }
    /// <summary>Benchmark: voices started at once and held, to measure DSP load (`--bench-voices`).</summary>
    public int HoldVoices { get; init; }
    /// <summary>Where OSC commands are taken (`--osc-in [ADDR:]PORT`, loopback unless an address is given); none when null.</summary>
    public System.Net.IPEndPoint? OscIn { get; init; }
    /// <summary>Who may send them (`--osc-allow`): this machine only unless a list is given.</summary>
    public Losses.Protocol.Osc.OscSenders OscSenders { get; init; } = Losses.Protocol.Osc.OscSenders.LoopbackOnly;
    /// <summary>`--summary-json`: the end-of-set summary also as JSON, for scripts; none when null.</summary>
    public string? SummaryJson { get; init; }
}
