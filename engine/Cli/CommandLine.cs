using System.Globalization;
using System.Reflection;
using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Live;
using Losses.Engine.Midi;
using Losses.Protocol;

namespace Losses.Engine.Cli;

/// <summary>A wrong command line: one line on stderr and exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>The engine's commands. Every error ends as one line on stderr and a non-zero exit.</summary>
public static class CommandLine
{
    public const int ExitInput = 1;
    public const int ExitUsage = 2;

    private const string Usage = """
        usage: losses <command> [options]

        commands:
          demo                     render the bundled example performance into out/demo.wav (+ demo.frames)
          render IN.mid -o OUT.wav render a MIDI performance offline
              --seed N             random seed (default 1)
              --block N            block size in samples, 1..8192 (default 64)
              --sample-rate HZ     8000..384000 (default 48000)
              --config FILE        JSON config (see README; defaults otherwise)
              --preset NAME        start from a preset instead of the defaults (ldd: the original piece); --config keys override it
              --summary-json FILE  also write the render summary as JSON
              --frames FILE        also write every published frame to a frame log
              --ring NAME          also publish the frames live into the shared-memory ring NAME
              --realtime           pace the render at the wall clock (to watch it live)
              --max-seconds S      refuse performances longer than this (default 14400 = 4 h)
          frames FILE.frames       print the frames of a frame log
              --csv                as CSV
          watch                    print the frames of a live ring as they arrive
              --ring NAME          ring to read (default losses)
              --csv                as CSV
              --count N            stop after N frames
              --timeout SECONDS    stop when no frame arrives for this long
          osc                      send the frames of a live ring as OSC over UDP (README: OSC)
              --ring NAME          ring to read (default losses)
              --to HOST:PORT       where to send (repeatable)
              --rate HZ            continuous values at most this often (default 60; 0 = every frame)
              --frame-blob         also send every whole frame as /losses/frame (remote visualiser)
              --ldd                the original's messages: sclang :57120, openFrameworks :12345
              --ldd-sc HOST:PORT   where the original's sclang listens (default 127.0.0.1:57120)
              --ldd-of HOST:PORT   where the original's openFrameworks app listens (default 127.0.0.1:12345)
              --config FILE        the engine's config (its note splits)
              --timeout SECONDS    stop when no frame has arrived for this long
              --once               stop when the engine stops (one engine run)
          live                     play live: MIDI in, audio out, frames into the ring
              --audio jack|asio    audio backend (default: jack on Linux, asio on Windows)
              --driver NAME        ASIO driver (Windows; default: the first installed)
              --midi NAME          MIDI input: a JACK MIDI port (Linux) or a MIDI device (Windows)
              --ring NAME          ring to publish frames into (default losses)
              --record DIR         record MIDI, frames, config and seed into DIR
              --play FILE.mid      play a MIDI file into the engine at its own timing (merged with the MIDI input)
              --config FILE        JSON config
              --preset NAME        start from a preset (ldd)
              --seed N             random seed (default 1)
              --no-connect         JACK: do not connect the outputs to the system playback ports
              --duration SECONDS   stop after this long (default: until [q] or Ctrl-C)
              --client NAME        JACK client name (default losses)
              --bench-voices N     hold N voices from the start (DSP-load measurements; see bench dsp)
              --osc-in PORT        take commands over OSC on this UDP port (README: OSC)
          recover DIR              turn the recording of a killed live set (live --record DIR) into a complete one
          devices                  list audio backends, drivers/ports and MIDI inputs here
          plugin-preset NAME       an LV2 preset of the plugin holding a config (README: Plugin)
              --config FILE        the config it holds (defaults otherwise)
              --preset NAME        start from a preset (ldd); --config keys override it
              --ring NAME          its frames go to this ring, not the "Frame ring" control's
              -o DIR.lv2           where the preset bundle goes (default ~/.lv2/Losses_NAME.preset.lv2)
          config                   print the default config as JSON
              --preset NAME        print a preset instead (ldd: the original piece)
              --check FILE         validate a config file
          example -o OUT.mid       write the bundled example performance as a MIDI file
          visualise                (launcher) the visualiser: ./losses visualise --help
          bench                    (launcher) voices | micro [filter] | ring | dsp: ./losses bench help
          publish [win-x64]        (launcher) the engine, self-contained, into out/losses-win-x64 for the concert machine
          plugin [--install]       (launcher) the LV2/CLAP instrument (NativeAOT) into out/losses.lv2 [-o DIR.lv2], --install to ~/.lv2, ~/.clap
          test                     (launcher) install what the tests need and run them
          help                     this text
        """;

    public static int Run(string[] args)
    {
        try
        {
            if (args.Length == 0) throw new UsageException("no command given (try: losses help)");
            string command = args[0];
            var rest = new Arguments(args.AsSpan(1).ToArray(), command);
            return command switch
            {
                "render" => Render(rest),
                "demo" => Demo(rest),
                "config" => Config(rest),
                "plugin-preset" => PluginPreset(rest),
                "example" => Example(rest),
                "frames" => FramesCommand.Print(rest),
                "live" => Live(rest),
                "devices" => Devices(),
                "recover" => Recover(rest),
                "watch" => FramesCommand.Watch(rest),
                "osc" => Osc.OscCommand.Run(rest),
                "help" or "--help" or "-h" => Help(),
                "--version" => Version(),
                _ => throw new UsageException($"unknown command '{command}' (try: losses help)"),
            };
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"losses: {e.Message}");
            return ExitUsage;
        }
        catch (StoppedException e)
        {
            Console.Error.WriteLine($"losses: {e.Message}");
            return e.ExitCode;
        }
        catch (Exception e) when (e is MidiFileException or LimitException or ConfigException or IOException or UnauthorizedAccessException
                                      or RingException or FrameLogException or AudioBackendException)
        {
            Console.Error.WriteLine($"losses: {e.Message}");
            return ExitInput;
        }
    }

    private static int Recover(Arguments a)
    {
        string? dir = null;
        while (a.Next(out string arg))
        {
            if (arg.StartsWith('-')) throw new UsageException($"recover: unknown option '{arg}' (usage: losses recover DIR)");
            if (dir is not null) throw new UsageException("recover: one folder at a time (usage: losses recover DIR)");
            dir = arg;
        }
        if (string.IsNullOrEmpty(dir)) throw new UsageException("recover: which folder? (usage: losses recover DIR, the folder given to live --record)");
        Console.WriteLine(Engine.Live.Recorder.Recover(dir));
        return 0;
    }

    private static int Help()
    {
        Console.WriteLine(Usage);
        return 0;
    }

    private static int Version()
    {
        Console.WriteLine(Assembly.GetExecutingAssembly().GetName().Version?.ToString() ?? "0");
        return 0;
    }

    private static int Render(Arguments a)
    {
        string? output = null, configPath = null, summaryJson = null, framesPath = null, ring = null, preset = null;
        bool realTime = false;
        double maxSeconds = Limits.DefaultMaxSeconds;
        ulong seed = 1;
        int block = 64, sampleRate = 48000;
        string? input = null;
        while (a.Next(out string arg))
        {
            switch (arg)
            {
                case "-o" or "--output": output = a.PathValue(arg); break;
                case "--seed": seed = a.ULong(arg); break;
                case "--block": block = a.Int(arg, 1, 8192); break;
                case "--sample-rate": sampleRate = a.Int(arg, 8000, 384000); break;
                case "--config": configPath = a.PathValue(arg); break;
                case "--preset": preset = PresetName(a, arg); break;
                case "--summary-json": summaryJson = a.PathValue(arg); break;
                case "--frames": framesPath = a.PathValue(arg); break;
                case "--ring": ring = a.RingName(arg); break;
                case "--realtime": realTime = true; break;
                case "--max-seconds": maxSeconds = a.Seconds(arg); break;
                default:
                    if (arg.StartsWith('-')) throw new UsageException($"render: unknown option '{arg}' (try: losses help)");
                    if (input is not null) throw new UsageException($"render: one input file only ('{input}' and '{arg}' given)");
                    input = a.CheckPath("input", arg);
                    break;
            }
        }
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
        Print(summary);
        if (framesPath is not null) Console.WriteLine($"  {log!.Count} frames -> {framesPath}");
        return 0;
    }

    private static int Demo(Arguments a)
    {
        string outDir = "out";
        ulong seed = 1;
        while (a.Next(out string arg))
        {
            switch (arg)
            {
                case "-o" or "--out-dir": outDir = a.Value(arg); break;
                case "--seed": seed = a.ULong(arg); break;
                default: throw new UsageException($"demo: unknown option '{arg}' (try: losses help)");
            }
        }
        Directory.CreateDirectory(outDir);
        MidiPerformance performance = MidiPerformance.Parse(ExamplePerformance.Create(), "demo.mid", RenderOptions.DefaultSampleRate);
        string wav = Path.Combine(outDir, "demo.wav");
        using var interruption = new Interruption();
        using var outputs = new OutputSet();
        using var summaryFile = new PendingFile(Path.Combine(outDir, "demo.json"), set: outputs);
        // The frame log lets the launcher render the visuals of the demo (out/demo.mp4).
        using var log = new FrameLogWriter(Path.Combine(outDir, "demo.frames"), RenderOptions.DefaultSampleRate, outputs);
        var options = new RenderOptions { Seed = seed, Outputs = outputs, Cancel = interruption.Token };
        RenderSummary summary = RenderWithProgress(performance, EngineConfig.Default, options, wav, summaryFile, log, interruption);
        log.Commit();
        outputs.Commit();
        Print(summary);
        return 0;
    }

    private static int Live(Arguments a)
    {
        var o = new Live.LiveOptions();
        string? configPath = null, preset = null;
        while (a.Next(out string arg))
        {
            if (arg == "--preset") { preset = PresetName(a, arg); continue; }
            o = arg switch
            {
                "--audio" => o with { Audio = AudioBackendOf(a.Value(arg)) },
                "--driver" => o with { Driver = a.Value(arg) },
                "--midi" => o with { Midi = a.Value(arg) },
                "--ring" => o with { Ring = a.RingName(arg) },
                "--record" => o with { RecordDir = a.Value(arg) },
                "--seed" => o with { Seed = a.ULong(arg) },
                "--no-connect" => o with { ConnectOutputs = false },
                "--duration" => o with { DurationSeconds = a.Seconds(arg) },
                "--client" => o with { ClientName = a.Value(arg) },
                "--bench-voices" => o with { HoldVoices = a.Int(arg, 0, 16384) },
                "--play" => o with { PlayFile = a.Value(arg) },
                "--osc-in" => o with { OscInPort = a.Int(arg, 1, 65535) },
                "--config" => o with { },
                _ => throw new UsageException($"live: unknown option '{arg}' (try: losses help)"),
            };
            if (arg == "--config") configPath = a.PathValue(arg);
        }
        if (configPath is not null || preset is not null) o = o with { Config = LoadConfig(configPath, preset) };
        return Engine.Live.LiveSession.Run(o);
    }

    private static AudioBackend AudioBackendOf(string name) => name switch
    {
        "jack" => AudioBackend.Jack,
        "asio" => AudioBackend.Asio,
        _ => throw new UsageException($"live: --audio must be jack or asio, not '{name}'"),
    };

    private static int Devices()
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
    }

    /// <summary>A preset name from the command line: one of <see cref="EngineConfig.PresetNames"/>, else a usage error.</summary>
    private static string PresetName(Arguments a, string arg)
    {
        string name = a.Value(arg);
        if (!EngineConfig.PresetNames.Contains(name))
            throw new UsageException($"{arg}: unknown preset '{name}' (presets: {string.Join(", ", EngineConfig.PresetNames)})");
        return name;
    }

    /// <summary>The config: the preset's (or the defaults), with the file's keys over it.</summary>
    private static EngineConfig LoadConfig(string? path, string? preset)
    {
        EngineConfig start = preset is null ? EngineConfig.Default : EngineConfig.FromPreset(preset);
        return path is null ? start : EngineConfig.Load(path, start);
    }

    private static int Config(Arguments a)
    {
        string? check = null, preset = null;
        while (a.Next(out string arg))
        {
            switch (arg)
            {
                case "--check": check = a.PathValue(arg); break;
                case "--preset": preset = PresetName(a, arg); break;
                default: throw new UsageException($"config: unknown option '{arg}' (try: losses help)");
            }
        }
        if (check is null)
        {
            Console.WriteLine(LoadConfig(null, preset).ToJson());
            return 0;
        }
        LoadConfig(check, preset);
        Console.WriteLine($"{check}: ok");
        return 0;
    }

    /// <summary>An LV2 preset of the plugin holding a config: how a config gets into a DAW's instance.</summary>
    private static int PluginPreset(Arguments a)
    {
        string? name = null, configPath = null, preset = null, ring = null, output = null;
        while (a.Next(out string arg))
        {
            switch (arg)
            {
                case "--config": configPath = a.PathValue(arg); break;
                case "--preset": preset = PresetName(a, arg); break;
                case "--ring": ring = a.RingName(arg); break;
                case "-o" or "--output": output = a.PathValue(arg); break;
                default:
                    if (arg.StartsWith('-')) throw new UsageException($"plugin-preset: unknown option '{arg}' (try: losses help)");
                    if (name is not null) throw new UsageException($"plugin-preset: one name only ('{name}' and '{arg}' given)");
                    name = arg;
                    break;
            }
        }
        if (name is null || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            throw new UsageException("plugin-preset: give the preset a name of letters, digits, '-' or '_' (at most 64): losses plugin-preset NAME --config FILE");
        // The presets extension's advice for user presets: ~/.lv2/<Plugin>_<Preset>.preset.lv2.
        output ??= Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".lv2", $"Losses_{name}.preset.lv2");
        if (!output.TrimEnd('/').EndsWith(".lv2", StringComparison.Ordinal))
            throw new UsageException($"plugin-preset: -o {output}: an LV2 bundle folder must end in .lv2");
        new PluginSettings(LoadConfig(configPath, preset), ring).WriteLv2Preset(output, name);
        Console.WriteLine($"{output}: preset '{name}' of the Losses plugin (rescan plugins in the host, then pick it from the plugin's presets)");
        return 0;
    }

    private static int Example(Arguments a)
    {
        string? output = null;
        while (a.Next(out string arg))
        {
            switch (arg)
            {
                case "-o" or "--output": output = a.PathValue(arg); break;
                default: throw new UsageException($"example: unknown option '{arg}' (try: losses help)");
            }
        }
        if (output is null) throw new UsageException("example: give the output file with -o OUT.mid");
        PendingFile.WriteAllBytes(output, ExamplePerformance.Create());
        Console.WriteLine($"wrote {output}");
        return 0;
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
            bar.Finish();
            throw interruption.Stopped(ring?.Fault);
        }
        bar.Finish();
        if (summaryJson is not null)
        {
            summaryJson.Stream.Write(System.Text.Encoding.UTF8.GetBytes(summary.ToJson()));
            summaryJson.Commit();
        }
        return summary;
    }

    private static void Print(RenderSummary s)
    {
        var inv = CultureInfo.InvariantCulture;
        string peakDb = s.Peak > 0 ? (20 * Math.Log10(s.Peak)).ToString("0.0", inv) + " dBFS" : "silent";
        Console.WriteLine(string.Create(inv, $"rendered {s.Input} -> {s.Output}"));
        Console.WriteLine(string.Create(inv, $"  duration {s.DurationSeconds:0.00} s ({s.SampleRate} Hz, block {s.Block}, seed {s.Seed}), peak {peakDb}"));
        Console.WriteLine(string.Create(inv, $"  loudness {(s.LoudnessLufs is double lufs ? lufs.ToString("0.0", inv) + " LUFS" : "silent")} integrated (BS.1770), true peak {(double.IsFinite(s.TruePeakDbtp) ? s.TruePeakDbtp.ToString("0.0", inv) + " dBTP" : "silent")}"));
        Console.WriteLine(string.Create(inv, $"  notes {s.Notes}, parts visited {string.Join(' ', s.PartsVisited)} ({s.PartChanges} part changes)"));
        Console.WriteLine(string.Create(inv, $"  new targets: {s.CubicTargets} cubic, {s.KnotTargets} knot; {s.GradientSteps} gradient steps{(s.Resets > 0 ? $", {s.Resets} divergence resets" : "")}"));
        if (s.Targets.Length > 0) Console.WriteLine("  loss per target (first step -> last step):");
        for (int i = 0; i < s.Targets.Length; i++)
        {
            TargetSummary t = s.Targets[i];
            Console.WriteLine(string.Create(inv,
                $"    {i + 1,3} {t.Model,-5} part {t.Part} at {t.StartSeconds,7:0.00} s  {t.Steps,5} steps  {t.FirstLoss,10:0.000000} -> {t.FinalLoss:0.000000}"));
        }
    }

    /// <summary>Reads options one by one; a missing or malformed value is a usage error naming the option.</summary>
    internal sealed class Arguments(string[] args, string command)
    {
        private int _index;

        public bool Next(out string arg)
        {
            if (_index >= args.Length) { arg = ""; return false; }
            arg = args[_index++];
            return true;
        }

        public string Value(string option)
        {
            if (_index >= args.Length || args[_index].StartsWith("--"))
                throw new UsageException($"{command}: {option} needs a value");
            return args[_index++];
        }

        public int Int(string option, int min, int max)
        {
            string text = Value(option);
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
                throw new UsageException($"{command}: {option} must be a whole number in {min}..{max}, not '{text}'");
            return value;
        }

        /// <summary>A file path option: empty or malformed is a usage error (exit 2).</summary>
        public string PathValue(string option) => CheckPath(option, Value(option));

        public string CheckPath(string what, string path) =>
            OutputSet.PathProblem(path) is string problem ? throw new UsageException($"{command}: {what} {problem}") : path;

        public string RingName(string option)
        {
            string name = Value(option);
            if (!RingLayout.IsValidName(name))
                throw new UsageException($"{command}: {option} '{name}' is not a valid ring name (letters, digits, '-', '_', '.')");
            return name;
        }

        public double Seconds(string option)
        {
            string text = Value(option);
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value > 0) || value > Limits.HighestMaxSeconds)
                throw new UsageException($"{command}: {option} must be a positive number of seconds, not '{text}'");
            return value;
        }

        public ulong ULong(string option)
        {
            string text = Value(option);
            if (!ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong value))
                throw new UsageException($"{command}: {option} must be a non-negative whole number, not '{text}'");
            return value;
        }
    }
}
