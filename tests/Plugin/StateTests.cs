using System.Text;
using System.Text.Json;
using Losses.Engine.Audio;
using Losses.Engine.Midi;
using Losses.Tests.Cli;
using Losses.Tests.Live;
using Xunit.Abstractions;

namespace Losses.Tests.Plugin;

/// <summary>
/// The plugin's state (LV2 state:interface, CLAP clap.state): a config saved by one instance and
/// restored into another — before activation or while it plays — sounds as `./losses render
/// --config` of that config; a bad state changes nothing and says so.
/// </summary>
public class StateTests(ITestOutputHelper output)
{
    public const int Rate = 48000;
    public const string SettingsKey = "urn:losses:lv2:instrument#settings", AtomString = "http://lv2plug.in/ns/ext/atom#String";

    /// <summary>Far from the defaults on every count: the original piece, just intonation, seven partials, 3 dB down.</summary>
    public const string Config = """{ "preset": "ldd", "tuning": { "scale": "just" }, "voice": { "partials": 7 }, "master": { "gainDb": -3 } }""";

    private static readonly Lazy<(string Path, WavData Render)> Rendered = new(() =>
    {
        string dir = EngineCli.TempDir();
        string config = Path.Combine(dir, "state-config.json"), wav = Path.Combine(dir, "state-config.wav");
        File.WriteAllText(config, Config);
        EngineCli.Outcome r = EngineCli.Run("render", PlayedSet.File, "-o", wav, "--seed", PlayedSet.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--config", config);
        Assert.True(r.ExitCode == 0, r.Stderr);
        return (config, WavData.Read(wav));
    });

    /// <summary>The config file, and PlayedSet rendered with it (seed 7) by `./losses render --config`.</summary>
    public static string ConfigFile => Rendered.Value.Path;
    public static WavData ConfigRender => Rendered.Value.Render;
    private static TimedMidiEvent[] Events => MidiPerformance.Load(PlayedSet.File, Rate).Events;

    /// <summary>The state's JSON as the README documents it, written here by hand.</summary>
    public static byte[] Payload(string config, string? ring = null, string? parameters = null) =>
        Encoding.UTF8.GetBytes($$"""{ "ringName": {{(ring is null ? "null" : '"' + ring + '"')}}, "config": {{config}}{{(parameters is null ? "" : ", \"parameters\": " + parameters)}} }""");

    public static Lv2TestHost.StateValue Lv2Value(byte[] payload) => new([.. payload, 0], AtomString);

    /// <summary>Samples further than 1e-6 from the expected render; a length that differs counts its extra samples.</summary>
    public static int Differing(WavData expected, float[] left, float[] right)
    {
        int frames = (int)Math.Min(expected.Frames, left.Length);
        int differing = (int)Math.Abs(expected.Frames - left.Length);
        for (int i = 0; i < frames; i++)
            if (Math.Abs(left[i] - expected.Samples[0][i]) > 1e-6f || Math.Abs(right[i] - expected.Samples[1][i]) > 1e-6f) differing++;
        return differing;
    }

    private static Lv2TestHost Lv2(ulong seed = PlayedSet.Seed) =>
        new(PluginBundle.Library, Rate, new Dictionary<uint, float> { [Lv2TestHost.Seed] = seed, [Lv2TestHost.Ring] = 0 });

    [Fact]
    public void Lv2_a_config_saved_by_one_instance_and_restored_into_a_fresh_one_plays_as_the_render_with_that_config()
    {
        byte[] saved;
        using (Lv2TestHost a = Lv2())
        {
            Assert.Equal(0, a.RestoreState(new Dictionary<string, Lv2TestHost.StateValue> { [SettingsKey] = Lv2Value(Payload(Config)) }));
            var (status, properties) = a.SaveState();
            Assert.Equal(0, status);
            Lv2TestHost.StateValue value = Assert.Single(properties, p => p.Key == SettingsKey).Value;
            Assert.Equal(AtomString, value.Type);
            Assert.Equal(3u, value.Flags); // POD and portable: hosts may keep it in a session file
            Assert.Equal(0, value.Value[^1]); // an atom:String ends in NUL
            saved = value.Value;
            output.WriteLine($"LV2 state: {saved.Length} bytes");
        }
        using (JsonDocument doc = JsonDocument.Parse(saved.AsMemory(0, saved.Length - 1)))
        {
            JsonElement config = doc.RootElement.GetProperty("config");
            Assert.Equal("ldd", config.GetProperty("preset").GetString());
            Assert.Equal("just", config.GetProperty("tuning").GetProperty("scale").GetString());
            Assert.Equal(7, config.GetProperty("voice").GetProperty("partials").GetInt32());
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("ringName").ValueKind);
        }

        using Lv2TestHost b = Lv2();
        Assert.Equal(0, b.RestoreState(new Dictionary<string, Lv2TestHost.StateValue> { [SettingsKey] = new(saved, AtomString) }));
        b.Activate();
        var (left, right) = b.Play(Events, ConfigRender.Frames, 256);
        Assert.Equal(0, Differing(ConfigRender, left, right));
        int fromDefault = Differing(PlayedSet.Offline, left, right);
        output.WriteLine($"samples beyond 1e-6 of the default config's render: {fromDefault} of {ConfigRender.Frames}");
        Assert.True(fromDefault > ConfigRender.Frames / 2, "the restored config sounds like the defaults");
        Assert.Equal(0f, b[Lv2TestHost.AllocatedBytes]);
    }

    [Fact]
    public void Lv2_a_state_restored_while_playing_takes_over_at_the_next_block_and_run_allocates_nothing()
    {
        using Lv2TestHost host = Lv2();
        host.Activate();
        host.Play(Events, Rate / 2, 100); // half a second of the default config, notes sounding
        Assert.Equal(0, host.RestoreState(new Dictionary<string, Lv2TestHost.StateValue> { [SettingsKey] = Lv2Value(Payload(Config)) }));
        // The next block is the restored config's first: the piece from the top.
        var (left, right) = host.Play(Events, ConfigRender.Frames, 100);
        Assert.Equal(0, Differing(ConfigRender, left, right));
        Assert.Equal(0f, host[Lv2TestHost.AllocatedBytes]);

        // A host's reset (an empty state): the defaults, again from the next block.
        Assert.Equal(0, host.RestoreState(new Dictionary<string, Lv2TestHost.StateValue>()));
        (left, right) = host.Play(Events, PlayedSet.Offline.Frames, 100);
        Assert.Equal(0, Differing(PlayedSet.Offline, left, right));
        Assert.Equal(0f, host[Lv2TestHost.AllocatedBytes]);
    }

    /// <summary>
    /// A host with state:threadSafeRestore restores while run() goes on in another thread: run()
    /// allocates nothing throughout, each ring a restore left is closed, and the instance ends up
    /// playing the last restore exactly.
    /// </summary>
    [Fact]
    public void Lv2_restores_beside_run_on_another_thread_allocate_nothing_in_run_the_last_plays_exactly_and_no_ring_stays_open()
    {
        string ringA = $"losses-state-a-{Environment.ProcessId}", ringB = $"losses-state-b-{Environment.ProcessId}";
        using Lv2TestHost host = Lv2();
        host.Activate();
        var silence = Array.Empty<(int, byte, byte, byte)>();
        var done = new ManualResetEventSlim();
        var restorer = new Thread(() =>
        {
            for (int i = 0; i < 12; i++)
            {
                string ring = i % 3 == 2 ? "null" : $"\"{(i % 2 == 0 ? ringA : ringB)}\"";
                byte[] payload = Encoding.UTF8.GetBytes($$"""{ "ringName": {{ring}}, "config": {{(i % 2 == 0 ? Config : "{}")}} }""");
                Assert.Equal(0, host.RestoreState(new Dictionary<string, Lv2TestHost.StateValue> { [SettingsKey] = Lv2Value(payload) }));
                Thread.Sleep(3);
            }
            done.Set();
        });
        restorer.Start();
        int blocks = 0;
        while (!done.IsSet) { host.Run(64, silence); blocks++; }
        restorer.Join();
        output.WriteLine($"{blocks} blocks ran beside 12 restores");
        Assert.Equal(0f, host[Lv2TestHost.AllocatedBytes]);

        // Settled: the last restore (defaults, no ring name) plays from the next block, exactly.
        Assert.Equal(0, host.RestoreState(new Dictionary<string, Lv2TestHost.StateValue> { [SettingsKey] = Lv2Value(Payload("{}")) }));
        var (left, right) = host.Play(Events, PlayedSet.Offline.Frames, 64);
        Assert.Equal(0, Differing(PlayedSet.Offline, left, right));
        Assert.Equal(0f, host[Lv2TestHost.AllocatedBytes]);

        // Every ring the restores made is closed again once the host calls in (the last one's at this save):
        // a new writer can take each (one writer per ring).
        Assert.Equal(0, host.SaveState().Status);
        foreach (string ring in new[] { ringA, ringB })
        {
            using (Losses.Protocol.FrameRingWriter.Create(ring)) { }
            Losses.Protocol.FrameRingWriter.Delete(ring);
        }
    }

    [Theory]
    [InlineData("""{ "ringName": null, "config": { "piece": { "bassSplit": 200 } } }""")] // out of range
    [InlineData("""{ "ringName": null, "config": { "pice": {} } }""")]                  // unknown key
    [InlineData("""{ "ringName": "no/slashes", "config": {} }""")]                     // not a ring name
    [InlineData("""{ "ringName": null, "config": { """)]                               // cut short
    [InlineData("[1, 2, 3]")]                                                          // not an object
    public void Lv2_a_bad_state_is_refused_and_the_instance_plays_on_with_its_config(string bad)
    {
        using Lv2TestHost host = Lv2();
        Assert.Equal(0, host.RestoreState(new Dictionary<string, Lv2TestHost.StateValue> { [SettingsKey] = Lv2Value(Payload(Config)) }));
        host.Activate();
        byte[] before = host.SaveState().Properties[SettingsKey].Value;
        Assert.Equal(1, host.RestoreState(new Dictionary<string, Lv2TestHost.StateValue> { [SettingsKey] = Lv2Value(Encoding.UTF8.GetBytes(bad)) })); // ERR_UNKNOWN
        Assert.Equal(2, host.RestoreState(new Dictionary<string, Lv2TestHost.StateValue> { [SettingsKey] = new(Payload(Config), "http://lv2plug.in/ns/ext/atom#Chunk") })); // ERR_BAD_TYPE
        Assert.Equal(before, host.SaveState().Properties[SettingsKey].Value);
        var (left, right) = host.Play(Events, ConfigRender.Frames, 256);
        Assert.Equal(0, Differing(ConfigRender, left, right));
    }

    [Fact]
    public void Plugin_preset_goes_to_the_users_lv2_folder_and_refuses_a_bad_name_or_config_writing_nothing()
    {
        string home = EngineCli.TempDir();
        var env = new Dictionary<string, string> { ["HOME"] = home };
        EngineCli.Outcome r = EngineCli.RunWith(env, "plugin-preset", "stage", "--preset", "ldd");
        Assert.True(r.ExitCode == 0, r.Stderr);
        string bundle = Path.Combine(home, ".lv2", "Losses_stage.preset.lv2");
        Assert.Equal(["manifest.ttl", "state.ttl"], Directory.GetFiles(bundle).Select(f => Path.GetFileName(f)).Order().ToArray());
        Assert.Contains("rdfs:label \"stage\"", File.ReadAllText(Path.Combine(bundle, "state.ttl")));

        string bad = Path.Combine(home, "bad.json");
        File.WriteAllText(bad, """{ "voice": { "partials": 99 } }""");
        foreach (var (args, exit, says) in new (string[], int, string)[]
        {
            (["plugin-preset", "two words"], 2, "letters, digits"),
            (["plugin-preset", "x", "-o", Path.Combine(home, "x")], 2, "must end in .lv2"),
            (["plugin-preset", "x", "--config", bad], 1, "'voice.partials' = 99 is out of range"),
        })
        {
            r = EngineCli.RunWith(env, args);
            Assert.Equal(exit, r.ExitCode);
            string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("losses: ", line);
            Assert.Contains(says, line);
        }
        Assert.Equal(["Losses_stage.preset.lv2"], Directory.GetDirectories(Path.Combine(home, ".lv2")).Select(d => Path.GetFileName(d)).ToArray());
    }

    [Fact]
    public void Clap_a_state_saved_by_one_instance_loads_into_a_fresh_one_and_plays_its_config_even_while_active()
    {
        byte[] saved;
        using (var a = new ClapTestHost(PluginBundle.Library))
        {
            Assert.True(a.LoadState(Payload(Config, parameters: """{ "gain": 0, "part": 1, "seed": 7, "ring": 0 }""")));
            Assert.Equal(7.0, a.Param(2));
            Assert.Equal(0.0, a.Param(3));
            saved = a.SaveState();
            output.WriteLine($"CLAP state: {saved.Length} bytes");
        }

        using var b = new ClapTestHost(PluginBundle.Library);
        Assert.True(b.LoadState(saved));
        Assert.Equal(saved, b.SaveState());
        Assert.True(b.Activate(Rate, 1, 4096));
        var (left, right) = b.Play(Events, ConfigRender.Frames, 256);
        Assert.Equal(0, Differing(ConfigRender, left, right));

        // Refused: nothing changes (the parameters neither), and it plays on.
        Assert.False(b.LoadState(Payload("""{ "voice": { "partials": 99 } }""", parameters: """{ "seed": 3 }""")));
        Assert.False(b.LoadState(Payload("{}", parameters: """{ "volume": 3 }""")));
        Assert.Equal(saved, b.SaveState());

        // Loaded while active: the defaults from the next process() on, with no allocation in it.
        Assert.True(b.LoadState(Payload("{}", parameters: """{ "seed": 7, "ring": 0 }""")));
        (left, right) = b.Play(Events, PlayedSet.Offline.Frames, 256);
        Assert.Equal(0, Differing(PlayedSet.Offline, left, right));
        Assert.Equal(0.0, b.Param(4));
    }
}
