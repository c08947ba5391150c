using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Losses.Protocol.Osc;

namespace Losses.Bench.Voices;

/// <summary>
/// SuperCollider's server as the voice-count peer: the reference voice as the original system's
/// synth (psc-g/musicode <c>ldd/server.scd</c>, <c>\controlSines</c>: five SinOsc × Env.perc, each
/// through an LPF swept by LFNoise2.kr(1) between 1 and 3 kHz, then Splay) compiled by sclang,
/// rendered by scsynth in non-real-time mode from a binary score written here.
/// </summary>
internal sealed class Scsynth : IDisposable
{
    public const string DefName = "lossesReferenceVoice";
    /// <summary>The original's level (its <c>amp</c> default, and what <c>--preset ldd</c> plays at).</summary>
    public const float Amplitude = 0.4f;
    /// <summary>Notes below 60 ring 8 s in the original, longer than any trial: every voice sounds to the end.</summary>
    public const float ReleaseSeconds = 8f;
    public const int Partials = 5;

    // The original SynthDef, with the level and release as named controls and the output on bus 0.
    private const string SynthDefSource = """
        SynthDef(\lossesReferenceVoice, { arg att = 0.1, rel = 2, lofreq = 1000, hifreq = 3000;
            var env, snd, kFreqs, kAmp;
            kFreqs = Control.names(\freqs).kr([100, 200, 300, 400, 500]);
            kAmp = Control.names(\amp).kr(0.4);
            env = Env.perc(attackTime: att, releaseTime: rel, level: kAmp).kr(doneAction: 2);
            snd = SinOsc.ar(freq: kFreqs, mul: env);
            snd = LPF.ar(in: snd, freq: LFNoise2.kr(1).range(lofreq, hifreq));
            snd = Splay.ar(snd);
            Out.ar(0, snd);
        }).writeDefFile(
        """;

    private readonly string _dir;
    private readonly byte[] _synthDef;

    private Scsynth(string dir, byte[] synthDef)
    {
        _dir = dir;
        _synthDef = synthDef;
    }

    /// <summary>What is missing to run the comparison (null when scsynth and sclang are both on PATH).</summary>
    public static string? Missing()
    {
        string[] missing = [.. new[] { "scsynth", "sclang" }.Where(p => FindOnPath(p) is null)];
        return missing.Length == 0 ? null
            : $"--against scsynth needs {string.Join(" and ", missing)} on PATH: install Debian's supercollider-server and supercollider-language (apt-get install supercollider-server supercollider-language), or run it through ./losses, which installs them";
    }

    /// <summary>Compiles the SynthDef with sclang (headless) into a fresh work folder.</summary>
    public static Scsynth Prepare()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"losses-scsynth-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string script = Path.Combine(dir, "def.scd");
            File.WriteAllText(script, $"(\n{SynthDefSource}\"{dir}/\");\n0.exit;\n)\n");
            var start = new ProcessStartInfo("sclang") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir };
            start.ArgumentList.Add(script);
            // sclang is a Qt program: no display needed offscreen; its web engine refuses to start as root unless unsandboxed.
            start.Environment["QT_QPA_PLATFORM"] = "offscreen";
            start.Environment["QTWEBENGINE_DISABLE_SANDBOX"] = "1";
            (int exit, string output) = RunToEnd(start, TimeSpan.FromSeconds(120));
            string def = Path.Combine(dir, DefName + ".scsyndef");
            if (exit != 0 || !File.Exists(def))
                throw new ScsynthException($"sclang could not write the SynthDef (exit {exit}): {LastLine(output)}");
            return new Scsynth(dir, File.ReadAllBytes(def));
        }
        catch
        {
            Directory.Delete(dir, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Renders <paramref name="voices"/> reference voices for <paramref name="seconds"/> at 48 kHz in
    /// blocks of <paramref name="block"/> into a stereo float WAV, and returns the wall time scsynth took.
    /// Every voice sounds to the end and glides to a new detune every 256 samples, as in the engine's trials (<see cref="LoadShape"/>).
    /// </summary>
    public TimeSpan Render(int voices, double seconds, int block, string wav)
    {
        string score = Path.Combine(_dir, "score.osc");
        WriteScore(score, voices, seconds, block);
        var start = new ProcessStartInfo("scsynth") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir };
        // NRT: score, no input, output, rate, header and sample format; then the server's options.
        foreach (string a in new[] { "-N", score, "_", wav, LoadShape.SampleRate.ToString(CultureInfo.InvariantCulture), "WAV", "float" })
            start.ArgumentList.Add(a);
        foreach (string a in new[] { "-o", "2", "-i", "0", "-z", block.ToString(CultureInfo.InvariantCulture),
                     "-n", NodeCapacity(voices).ToString(CultureInfo.InvariantCulture), "-m", "262144", "-D", "0" })
            start.ArgumentList.Add(a);
        long begin = Stopwatch.GetTimestamp();
        (int exit, string output) = RunToEnd(start, TimeSpan.FromMinutes(10));
        TimeSpan wall = Stopwatch.GetElapsedTime(begin);
        if (exit != 0 || !File.Exists(wav))
            throw new ScsynthException($"scsynth failed rendering {voices} voices (exit {exit}): {LastLine(output)}");
        if (output.Contains("exceeded", StringComparison.OrdinalIgnoreCase) || output.Contains("alloc failed", StringComparison.OrdinalIgnoreCase))
            throw new ScsynthException($"scsynth could not hold {voices} voices: {LastLine(output)}");
        return wall;
    }

    /// <summary>The wall time of one render into the work folder (the WAV is deleted after).</summary>
    public TimeSpan Time(int voices, double seconds, int block)
    {
        string wav = Path.Combine(_dir, "trial.wav");
        try { return Render(voices, seconds, block, wav); }
        finally { File.Delete(wav); }
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// The binary score: each OSC bundle preceded by its 32-bit big-endian size, time tags in seconds
    /// from the start (32.32 fixed point). The SynthDef, every voice at time 0, a new detune for every
    /// voice every 256 samples, and a last command in the last block, which sets the length.
    /// </summary>
    private void WriteScore(string path, int voices, double seconds, int block)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        var buffer = new byte[Math.Max(16384, _synthDef.Length + 256)];

        var w = new OscWriter(buffer);
        w.BeginBundle(At(0));
        w.BeginMessage("/d_recv", ",b");
        w.Blob(_synthDef);
        w.EndMessage();
        w.EndBundle();
        Append(file, ref w);

        // Bundles of at most 64 messages: well inside scsynth's packet limit.
        const int PerBundle = 64;
        uint detuneSeed = 1;
        for (int first = 0; first < voices; first += PerBundle)
        {
            w = new OscWriter(buffer);
            w.BeginBundle(At(0));
            for (int v = first; v < Math.Min(voices, first + PerBundle); v++)
            {
                w.BeginMessage("/s_new", ",siiisfsf");
                w.String(DefName);
                w.Int(NodeId(v));
                w.Int(1); // add to tail: the voices run in the order they were made
                w.Int(0); // of the root group
                w.String("rel");
                w.Float(ReleaseSeconds);
                w.String("amp");
                w.Float(Amplitude);
                w.EndMessage();
                SetFreqs(ref w, v, LoadShape.NextDetune(ref detuneSeed));
            }
            w.EndBundle();
            Append(file, ref w);
        }

        long end = (long)Math.Round(seconds * LoadShape.SampleRate);
        for (long at = LoadShape.DetuneEvery; at < end; at += LoadShape.DetuneEvery)
        {
            for (int first = 0; first < voices; first += PerBundle)
            {
                w = new OscWriter(buffer);
                w.BeginBundle(At((double)at / LoadShape.SampleRate));
                for (int v = first; v < Math.Min(voices, first + PerBundle); v++)
                {
                    SetFreqs(ref w, v, LoadShape.NextDetune(ref detuneSeed));
                }
                w.EndBundle();
                Append(file, ref w);
            }
        }

        // scsynth renders the block that holds the last command too: it goes one block before the end.
        w = new OscWriter(buffer);
        w.BeginBundle(At((double)(end - block) / LoadShape.SampleRate));
        w.BeginMessage("/c_set", ",if");
        w.Int(0);
        w.Float(0f);
        w.EndMessage();
        w.EndBundle();
        Append(file, ref w);
    }

    private static void SetFreqs(ref OscWriter w, int v, float detune)
    {
        float f0 = 440f * MathF.Pow(2f, (LoadShape.Note(v) - 69) / 12f);
        w.BeginMessage("/n_setn", ",isifffff");
        w.Int(NodeId(v));
        w.String("freqs");
        w.Int(Partials);
        w.Float(f0);
        for (int k = 2; k <= Partials; k++) w.Float(k * f0 * (1f + detune));
        w.EndMessage();
    }

    private static void Append(FileStream file, ref OscWriter w)
    {
        if (w.Failed || w.Packet.IsEmpty) throw new InvalidOperationException("score bundle did not fit its buffer");
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(size, w.Packet.Length);
        file.Write(size);
        file.Write(w.Packet);
    }

    /// <summary>A score time tag: seconds from the start in 32.32 fixed point.</summary>
    private static OscTimeTag At(double seconds) => new((ulong)Math.Round(seconds * 4294967296.0));

    private static int NodeId(int v) => 1000 + v;

    private static int NodeCapacity(int voices) => (int)BitOperations.RoundUpToPowerOf2((uint)voices + 1024);

    private static (int Exit, string Output) RunToEnd(ProcessStartInfo start, TimeSpan timeout)
    {
        using Process process = Process.Start(start) ?? throw new ScsynthException($"could not start {start.FileName}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            throw new ScsynthException($"{start.FileName} did not finish within {timeout.TotalSeconds:0} s");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string LastLine(string output)
    {
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(no output)" : lines[^1];
    }

    private static string? FindOnPath(string program)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}

/// <summary>scsynth or sclang failed: the message says which and why.</summary>
internal sealed class ScsynthException(string message) : Exception(message);
