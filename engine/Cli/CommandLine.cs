using System.Globalization;
using System.Reflection;
using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Live;
using Losses.Engine.Midi;
using Losses.Engine.PluginState;
using Losses.Platform;
using Losses.Protocol;
using Losses.Platform.Cli;

namespace Losses.Engine.Cli;

/// <summary>The engine's commands, each a table of its options (the project's one convention: platform/Cli).</summary>
public static class CommandLine
{
    private const string LauncherCommands = """
        run by the launcher (./losses), not by the engine (./losses help NAME for each):
          visualise                the visuals: a window, a projector, a video with its sound (--frames F -o OUT.mp4 --audio WAV), a still
          web                      the visuals in a browser: serves a page that follows the engine (any machine, Windows too)
          bench                    voices | micro [filter] | ring | dsp | web: ./losses bench help
          publish [win-x64|linux-x64] [-o DIR]
                                   the engine and the browser visualiser, self-contained, into out/losses-RID (or DIR) for the concert machine
          plugin [--install]       the LV2/CLAP instrument (NativeAOT) into out/losses.lv2 [-o DIR.lv2], --install to ~/.lv2, ~/.clap
          test                     install what the tests need and run them
        """;

    /// <summary>The commands of <see cref="LauncherCommands"/>: `help NAME` points to the launcher, and a misspelling may mean one.</summary>
    private static readonly string[] RunByTheLauncher = ["visualise", "visualize", "web", "bench", "publish", "plugin", "test"];

    public static int Run(string[] args) => ExitCode.Run(() =>
    {
        if (Synthesis.VectorPath.Problem() is string vector) throw new UsageException(vector);
        if (args is ["--version"]) return Version();
        var commands = new CommandSet("losses", "Losses: a concert instrument for piano and a training run (README.md).", LauncherCommands, RunByTheLauncher)
        {
            Demo(), Render(), FramesCommand.Print(), FramesCommand.Watch(), OscCommand.Command(), Live(), Recover(), Devices(), Config(), PluginPreset(), Example(), Rings(),
        };
        return commands.Run(args);
    }, e => e is MidiFileException or ConfigException or AudioBackendException || RingOption.IsProtocolFailure(e));

    private static Command Recover()
    {
        string? dir = null;
        return new Command("recover", "DIR", "turn the recording of a killed live set (live --record DIR) into a complete one", () =>
        {
            if (string.IsNullOrEmpty(dir)) throw new UsageException("recover: which folder? (usage: losses recover DIR, the folder given to live --record)");
            Console.WriteLine(Engine.Live.Recorder.Recover(dir));
            return 0;
        })
        {
            { "DIR", null, "the folder given to live --record", r => dir = dir is null ? r.Value() : throw r.Error("one folder at a time (usage: losses recover DIR)") },
        };
    }

    private static Command Rings()
    {
        string? remove = null;
        return new Command("rings", "", "list the frame rings on this machine, their engines and whether they are alive; --remove NAME a stopped one", () =>
        {
            if (OperatingSystem.IsWindows()) throw new UsageException("rings: Windows keeps no ring files (an engine's named map goes with it)");
            if (remove is not null)
            {
                RingInfo removed = RingDirectory.Remove(remove);
                Console.WriteLine($"removed ring '{remove}' ({removed.Path})");
                return 0;
            }
            IReadOnlyList<RingInfo> rings = RingDirectory.List();
            if (rings.Count == 0) Console.WriteLine($"no rings in {RingDirectory.Folder}");
            var inv = CultureInfo.InvariantCulture;
            foreach (RingInfo r in rings)
            {
                string what = r.Problem is not null ? $"{r.Problem}{(r.Alive ? "" : $" — remove it: losses rings --remove {r.Name}")}"
                    : r.Alive ? string.Create(inv, $"alive: engine pid {r.WriterPid}, generation {r.Generation}, {r.Frames} frames published, heartbeat {r.HeartbeatAgeMs / 1000.0:0.0} s ago, started {Started(r)}")
                    : string.Create(inv, $"stopped: its engine (pid {r.WriterPid}) {(r.Closed ? "closed it" : "died without closing it (killed or crashed)")}, {r.Frames} frames, started {Started(r)}; {Limits.Bytes(r.Bytes)} — remove it: losses rings --remove {r.Name}");
                Console.WriteLine($"{r.Name,-20} {what}");
            }
            return 0;
        })
        {
            { "--remove", "NAME", "remove the ring NAME, whose engine has stopped (one an engine left append-only is removed too)", r => remove = r.Ring() },
        };
    }

    private static string Started(RingInfo r) => r.StartedUnixMs > 0
        ? DateTimeOffset.FromUnixTimeMilliseconds(r.StartedUnixMs).ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "(unknown)";

    private static int Version()
    {
        Console.WriteLine(Assembly.GetExecutingAssembly().GetName().Version?.ToString() ?? "0");
        return 0;
    }

    private static Command Render()
    {
        string? input = null, output = null, configPath = null, summaryJson = null, framesPath = null, ring = null, preset = null;
        bool realTime = false;
        double maxSeconds = Limits.DefaultMaxSeconds;
        ulong seed = 1;
        int block = 64, sampleRate = 48000;
        return new Command("render", "IN.mid -o OUT.wav", "render a MIDI performance offline", () =>
        {
            if (input is null) throw new UsageException("render: give a MIDI file (losses render IN.mid -o OUT.wav)");
            if (output is null) throw new UsageException("render: give the output WAV with -o OUT.wav");

            EngineConfig config = LoadConfig(configPath, preset);
            MidiPerformance performance = MidiPerformance.Load(input, sampleRate);
            var options = new RenderOptions { Seed = seed, Block = block, SampleRate = sampleRate, RealTime = realTime };
            RenderBounds.Check(performance, options, maxSeconds, output, framesPath);
            using var interruption = new Interruption(); // before the first temporary file: a signal from here on cleans up
            // Every output to a temporary file first; all moved into place together at the end, or none.
            using var outputs = new OutputSet(input, configPath);
            outputs.Check(output);
            OptionReader.CheckOutputType("render", "-o", output, "a WAV (32-bit float)", ".wav");
            using PendingFile? summaryFile = summaryJson is null ? null : new PendingFile(summaryJson, set: outputs);
            using FrameLogWriter? log = framesPath is null ? null : new FrameLogWriter(framesPath, sampleRate, outputs);
            using FrameRingWriter? ringWriter = ring is null ? null : FrameRingWriter.Create(ring);
            IFrameSink? sink = (log, ringWriter) switch
            {
                (null, null) => null,
                (not null, null) => log,
                (null, not null) => ringWriter,
                _ => new FrameTee(ringWriter, log),
            };
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(interruption.Token, ringWriter?.Broken ?? CancellationToken.None);
            RenderSummary summary = RenderWithProgress(performance, config, options with { Outputs = outputs, Cancel = stop.Token },
                output, summaryFile, sink, interruption, ringWriter);
            log?.Commit();
            outputs.Commit();
            Print(summary, config.Piece);
            if (framesPath is not null) Console.WriteLine($"  {log!.Count} frames -> {framesPath}");
            return 0;
        })
        {
            { "IN.mid", null, "the performance: a Standard MIDI File", r => input = input is null ? r.Path("input") : throw r.Error($"one input file only ('{input}' and '{r.Value()}' given)") },
            { "-o|--output", "OUT.wav", "the WAV to write (32-bit float stereo)", r => output = r.Path() },
            { "--seed", "N", "random seed (default 1)", r => seed = r.ULong() },
            { "--block", "N", "block size in samples, 1..8192 (default 64)", r => block = r.Int(1, 8192) },
            { "--sample-rate", "HZ", $"{Limits.SampleRates} (default 48000)", r => sampleRate = r.Int(Limits.MinSampleRate, Limits.MaxSampleRate) },
            { "--config", "FILE", "JSON config (docs/config.md; defaults otherwise)", r => configPath = r.Path() },
            { "--preset", "NAME", "start from a preset instead of the defaults (ldd: the original piece); --config keys override it", r => preset = PresetName(r) },
            { "--summary-json", "FILE", "also write the render summary as JSON", r => summaryJson = r.Path() },
            { "--frames", "FILE", "also write every published frame to a frame log", r => framesPath = r.Path() },
            { "--ring", "NAME", "also publish the frames live into the shared-memory ring NAME", r => ring = r.Ring() },
            { "--realtime", "pace the render at the wall clock (to watch it live)", () => realTime = true },
            { "--max-seconds", "S", "refuse performances longer than this (default 14400 = 4 h)", r => maxSeconds = r.Seconds() },
        };
    }

    private static Command Demo()
    {
        string outDir = "out";
        string? visualiser = null;
        ulong seed = 1;
        return new Command("demo", "", "render the bundled example performance into out/ (demo.wav, demo.json, demo.frames; the launcher adds demo.mp4)", () =>
        {
            if (File.Exists(outDir)) throw new IOException($"demo: -o {outDir} is a file: give a folder (it is created when missing)");
            Directory.CreateDirectory(outDir);
            MidiPerformance performance = MidiPerformance.Parse(ExamplePerformance.Create(), "demo.mid", RenderOptions.DefaultSampleRate);
            string wav = Path.Combine(outDir, "demo.wav");
            using var interruption = new Interruption();
            using var outputs = new OutputSet();
            using var summaryFile = new PendingFile(Path.Combine(outDir, "demo.json"), set: outputs);
            // The frame log lets the launcher render the visuals of the demo (out/demo.mp4).
            string frames = Path.Combine(outDir, "demo.frames");
            using var log = new FrameLogWriter(frames, RenderOptions.DefaultSampleRate, outputs);
            var options = new RenderOptions { Seed = seed, Outputs = outputs, Cancel = interruption.Token };
            RenderSummary summary = RenderWithProgress(performance, EngineConfig.Default, options, wav, summaryFile, log, interruption);
            log.Commit();
            outputs.Commit();
            Print(summary, EngineConfig.Default.Piece);
            Console.WriteLine($"  {log.Count} frames -> {frames}");
            string video = Path.Combine(outDir, "demo.mp4");
            int code = visualiser is null ? 0 : RenderDemoVideo(visualiser, frames, wav, video, interruption);
            if (code == 0)
                Console.WriteLine(visualiser is null ? $"open {wav} to listen" : $"open {video} (the visuals with the sound), or {wav} to listen");
            return code;
        })
        {
            { "-o|--out-dir", "DIR", "the folder to write into (default out)", r => outDir = r.Value() is { Length: > 0 } dir ? dir : throw r.Error("-o is empty: give a folder") },
            { "--visualiser", "DLL", "then render demo.mp4 with this visualiser (the launcher gives it)", r => visualiser = r.Path() },
            { "--seed", "N", "random seed (default 1)", r => seed = r.ULong() },
        };
    }

    /// <summary>The demo's visuals: the visualiser renders the frame log over a generated background (no camera needed).</summary>
    private static int RenderDemoVideo(string visualiser, string frames, string wav, string video, Interruption interruption)
    {
        // The host that runs this engine (dotnet), unless the engine is a published executable of its own.
        string host = Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
        var start = new System.Diagnostics.ProcessStartInfo(host) { UseShellExecute = false };
        foreach (string arg in (string[])[visualiser, "--frames", frames, "-o", video, "--audio", wav, "--video", "pattern", "--size", "640x360", "--fps", "30", "--hud"])
            start.ArgumentList.Add(arg);
        using var child = System.Diagnostics.Process.Start(start) ?? throw new IOException($"cannot start the visualiser {visualiser}");
        // Ctrl-C reaches the child from the terminal; a SIGTERM sent to the engine alone is passed on,
        // so the child stops as a render does (its temporary files gone, 143).
        using (interruption.Token.Register(() => System.Diagnostics.Process.Start("kill", ["-TERM", child.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit()))
            child.WaitForExit();
        return child.ExitCode;
    }

    private static Command Live()
    {
        var o = new LiveOptions();
        string? configPath = null, preset = null;
        var allow = new List<string>();
        return new Command("live", "", "play live: MIDI in, audio out, frames into the ring", () =>
        {
            if (configPath is not null || preset is not null) o = o with { Config = LoadConfig(configPath, preset) };
            o = o with { OscSenders = Losses.Protocol.Osc.OscSenders.FromOptions("live", o.OscIn, "--osc-in", allow, "--osc-allow", "OSC commands") };
            return LiveSession.Run(o);
        })
        {
            { "--audio", "jack|asio", "audio backend (default: jack on Linux, asio on Windows)", r => o = o with { Audio = AudioBackendOf(r) } },
            { "--driver", "NAME", "ASIO driver (Windows; default: the first installed)", r => o = o with { Driver = r.Value() } },
            { "--midi", "NAME", "MIDI input: a JACK MIDI port (Linux) or a MIDI device (Windows)", r => o = o with { Midi = r.Value() } },
            { "--ring", "NAME", "ring to publish frames into (default losses)", r => o = o with { Ring = r.Ring() } },
            { "--record", "DIR", "record MIDI, frames, config and seed into DIR", r => o = o with { RecordDir = r.Value() } },
            { "--play", "FILE.mid", "play a MIDI file into the engine at its own timing (merged with the MIDI input)", r => o = o with { PlayFile = r.Value() } },
            { "--config", "FILE", "JSON config", r => configPath = r.Path() },
            { "--preset", "NAME", "start from a preset (ldd)", r => preset = PresetName(r) },
            { "--seed", "N", "random seed (default 1)", r => o = o with { Seed = r.ULong() } },
            { "--no-connect", "JACK: do not connect the outputs to the system playback ports", () => o = o with { ConnectOutputs = false } },
            { "--duration", "SECONDS", "stop after this long (default: until [q] or Ctrl-C)", r => o = o with { DurationSeconds = r.Seconds() } },
            { "--client", "NAME", "JACK client name (default losses)", r => o = o with { ClientName = r.Value() } },
            { "--bench-voices", "N", "hold N voices from the start (DSP-load measurements; see bench dsp)", r => o = o with { HoldVoices = r.Int(0, 16384) } },
            { "--osc-in", "[ADDR:]PORT", "take commands over OSC on this UDP port, this machine only; ADDR (0.0.0.0: every interface) opens it to --osc-allow (docs/osc.md)", r => o = o with { OscIn = ListenAddress(r) } },
            { "--osc-allow", "ADDR[/BITS]|any", "who may send OSC commands when --osc-in has an address (repeatable): 192.168.1.20, 192.168.1.0/24, any", r => allow.Add(r.Value()) },
            { "--summary-json", "FILE", "also write the end-of-set summary as JSON (for scripts)", r => o = o with { SummaryJson = r.Path() } },
        };
    }

    /// <summary>`[ADDR:]PORT`: loopback unless an address is given.</summary>
    private static System.Net.IPEndPoint ListenAddress(OptionReader r) =>
        Losses.Protocol.Osc.OscListen.TryParse(r.Value(), out var local, out string problem) ? local : throw r.Error($"--osc-in {problem}");

    private static AudioBackend AudioBackendOf(OptionReader r) => r.Value() switch
    {
        "jack" => AudioBackend.Jack,
        "asio" => AudioBackend.Asio,
        string name => throw r.Error($"--audio must be jack or asio, not '{name}'"),
    };

    private static Command Devices() => new("devices", "", "list audio backends, drivers/ports and MIDI inputs here", () =>
    {
        if (OperatingSystem.IsWindows())
        {
            // Windows: ASIO out and WinMM MIDI in; JACK is not used there.
            var (drivers, inputs) = Engine.Live.Asio.AsioBackend.Describe();
            Console.WriteLine("ASIO drivers (live --audio asio --driver NAME):");
            if (drivers.Length == 0) Console.WriteLine("  (none installed: install your interface's ASIO driver, or ASIO4ALL)");
            foreach (string driver in drivers) Console.WriteLine($"  {driver}");
            Console.WriteLine("MIDI inputs (live --midi NAME):");
            if (inputs.Length == 0) Console.WriteLine("  (none: connect the piano's USB or MIDI interface)");
            foreach (string input in inputs) Console.WriteLine($"  {input}");
            return 0;
        }
        Console.WriteLine("audio backends:");
        var jack = Engine.Live.Jack.JackBackend.Describe();
        Console.WriteLine(jack.Running
            ? $"  jack   server running at {jack.Rate} Hz, {jack.Buffer} frames; playback ports: {(jack.Playback.Count == 0 ? "none" : string.Join(", ", jack.Playback))}"
            : "  jack   no server running (start one: jackd -d alsa -r 48000 -p 64, or -d dummy to test)");
        Console.WriteLine("MIDI inputs:");
        if (jack.MidiSources.Count == 0) Console.WriteLine("  (no JACK MIDI sources; a USB piano appears through a2jmidid -e)");
        foreach (string source in jack.MidiSources) Console.WriteLine($"  jack   {source}");
        return 0;
    });

    /// <summary>A preset name from the command line: one of <see cref="EngineConfig.PresetNames"/>, else a usage error.</summary>
    private static string PresetName(OptionReader r)
    {
        string name = r.Value();
        if (!EngineConfig.PresetNames.Contains(name))
            throw r.Error($"--preset must be one of {string.Join(", ", EngineConfig.PresetNames)}, not '{name}'");
        return name;
    }

    /// <summary>The config: the preset's (or the defaults), with the file's keys over it.</summary>
    private static EngineConfig LoadConfig(string? path, string? preset)
    {
        EngineConfig start = preset is null ? EngineConfig.Default : EngineConfig.FromPreset(preset);
        return path is null ? start : EngineConfig.Load(path, start);
    }

    private static Command Config()
    {
        string? check = null, preset = null;
        return new Command("config", "", "print the default config as JSON", () =>
        {
            if (check is null)
            {
                Console.WriteLine(LoadConfig(null, preset).ToJson());
                return 0;
            }
            LoadConfig(check, preset);
            Console.WriteLine($"{check}: ok");
            return 0;
        })
        {
            { "--preset", "NAME", "print a preset instead (ldd: the original piece)", r => preset = PresetName(r) },
            { "--check", "FILE", "validate a config file", r => check = r.Path() },
        };
    }

    /// <summary>An LV2 preset of the plugin holding a config: how a config gets into a DAW's instance.</summary>
    private static Command PluginPreset()
    {
        string? name = null, configPath = null, preset = null, ring = null, output = null;
        return new Command("plugin-preset", "NAME", "an LV2 preset of the plugin holding a config (docs/plugin.md)", () =>
        {
            if (name is null) throw new UsageException("plugin-preset: give the preset a name: losses plugin-preset NAME --config FILE");
            // The presets extension's advice for user presets: ~/.lv2/<Plugin>_<Preset>.preset.lv2.
            output ??= Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".lv2", $"Losses_{name}.preset.lv2");
            new PluginSettings(LoadConfig(configPath, preset), ring).WriteLv2Preset(output, name);
            Console.WriteLine($"{output}: preset '{name}' of the Losses plugin (rescan plugins in the host, then pick it from the plugin's presets)");
            return 0;
        })
        {
            { "NAME", null, "the preset's name in the host: letters, digits, '-' or '_' (at most 64)", r => name = name is null ? PresetLabel(r) : throw r.Error($"one name only ('{name}' and '{r.Value()}' given)") },
            { "--config", "FILE", "the config it holds (defaults otherwise)", r => configPath = r.Path() },
            { "--preset", "NAME", "start from a preset (ldd); --config keys override it", r => preset = PresetName(r) },
            { "--ring", "NAME", "its frames go to this ring, not the \"Frame ring\" control's", r => ring = r.Ring() },
            { "-o|--output", "DIR.lv2", "where the preset bundle goes (default ~/.lv2/Losses_NAME.preset.lv2)",
                r => output = r.Value() is var dir && dir.TrimEnd('/').EndsWith(".lv2", StringComparison.Ordinal) ? dir : throw r.Error($"-o {dir}: an LV2 bundle folder must end in .lv2") },
        };
    }

    private static string PresetLabel(OptionReader r)
    {
        string name = r.Value();
        return name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? name : throw r.Error($"give the preset a name of letters, digits, '-' or '_' (at most 64), not '{name}'");
    }

    private static Command Example()
    {
        string? output = null;
        return new Command("example", "-o OUT.mid", "write the bundled example performance as a MIDI file", () =>
        {
            if (output is null) throw new UsageException("example: give the output file with -o OUT.mid");
            OptionReader.CheckOutputType("example", "-o", output, "a Standard MIDI File", ".mid", ".midi");
            PendingFile.WriteAllBytes(output, ExamplePerformance.Create());
            Console.WriteLine($"wrote {output}");
            return 0;
        })
        {
            { "-o|--output", "OUT.mid", "the MIDI file to write", r => output = r.Path() },
        };
    }

    private static RenderSummary RenderWithProgress(MidiPerformance performance, EngineConfig config, RenderOptions options,
        string output, PendingFile? summaryJson, IFrameSink? frames, Interruption interruption, FrameRingWriter? ring = null)
    {
        var bar = new ProgressReporter(performance.Name, performance.DurationSeconds);
        RenderSummary summary;
        try
        {
            summary = OfflineRenderer.Render(performance, config, options, output, bar.Report, frames);
        }
        catch (OperationCanceledException) when (options.Cancel.IsCancellationRequested)
        {
            bar.Finish(completed: false);
            throw interruption.Stopped(ring?.Fault);
        }
        bar.Finish(completed: true);
        if (summaryJson is not null)
        {
            summaryJson.Stream.Write(System.Text.Encoding.UTF8.GetBytes(summary.ToJson()));
            summaryJson.Commit();
        }
        return summary;
    }

    private static void Print(RenderSummary s, PieceSettings piece)
    {
        var inv = CultureInfo.InvariantCulture;
        string peakDb = s.Peak > 0 ? (20 * Math.Log10(s.Peak)).ToString("0.0", inv) + " dBFS" : "silent";
        Console.WriteLine(string.Create(inv, $"rendered {s.Input} -> {s.Output}"));
        Console.WriteLine(string.Create(inv, $"  duration {s.DurationSeconds:0.00} s ({s.SampleRate} Hz, block {s.Block}, seed {s.Seed}), peak {peakDb}"));
        Console.WriteLine(string.Create(inv, $"  loudness {(s.LoudnessLufs is double lufs ? lufs.ToString("0.0", inv) + " LUFS" : "silent")} integrated (BS.1770), true peak {(double.IsFinite(s.TruePeakDbtp) ? s.TruePeakDbtp.ToString("0.0", inv) + " dBTP" : "silent")}"));
        Console.WriteLine(string.Create(inv, $"  notes {s.Notes}, parts visited {string.Join(' ', s.PartsVisited)} ({s.PartChanges} part changes)"));
        Console.WriteLine(string.Create(inv, $"  new targets: {s.CubicTargets} cubic, {s.KnotTargets} knot; {s.GradientSteps} gradient steps{(s.Resets > 0 ? $", {s.Resets} divergence resets" : "")}"));
        foreach (string hint in SummaryHints.For(s, piece)) Console.WriteLine("  " + hint);
        if (s.Targets.Length > 0) Console.WriteLine("  loss per target (first step -> last step):");
        for (int i = 0; i < s.Targets.Length; i++)
        {
            TargetSummary t = s.Targets[i];
            Console.WriteLine(string.Create(inv,
                $"    {i + 1,3} {t.Model,-5} part {t.Part} at {t.StartSeconds,7:0.00} s  {t.Steps,5} steps  {t.FirstLoss,10:0.000000} -> {t.FinalLoss:0.000000}"));
        }
    }
}
