using System.Diagnostics;
using System.Globalization;
using Losses.Tests.Cli;

namespace Losses.Tests.Asio;

/// <summary>
/// The Windows engine under Wine with a real ASIO driver: once per test run, the test driver
/// (tests/AsioTestDriver, C) is built with mingw-w64, the engine is published for win-x64
/// (self-contained), a private Wine prefix is made and the driver registered in it as any ASIO
/// driver is (HKLM\Software\ASIO\NAME → CLSID → InprocServer32, apartment-threaded).
/// </summary>
public sealed class WineAsio : IDisposable
{
    public const string DriverName = "Losses Test ASIO";
    private const string Clsid = "{6F4C2D71-9B1E-4C3A-8E55-3A1D0B5C7E21}";
    public const string Wine = "/usr/lib/wine/wine64"; // Debian 12 puts no wine64 on PATH without wine32

    private readonly string _bin;

    public WineAsio()
    {
        string source = Path.Combine(TestFiles.RepositoryRoot, "tests", "AsioTestDriver");
        _bin = Path.Combine(source, "bin"); // gitignored
        Directory.CreateDirectory(_bin);
        var clock = Stopwatch.StartNew();
        DriverDll = Path.Combine(_bin, "losses_asio_test.dll");
        Run("x86_64-w64-mingw32-gcc", [], "-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-static-libgcc", "-o", DriverDll,
            Path.Combine(source, "losses_asio_test.c"), Path.Combine(source, "losses_asio_test.def"), "-lole32", "-luuid");
        DriverBuild = clock.Elapsed;

        // Its own artifacts folder: the Linux build's obj/ stays untouched (no restore for another runtime in it).
        clock.Restart();
        string publish = Path.Combine(_bin, "engine-win-x64");
        Run("dotnet", new() { ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
            "publish", Path.Combine(TestFiles.RepositoryRoot, "engine", "Losses.Engine.csproj"), "-c", "Release", "-r", "win-x64",
            "--self-contained", "--artifacts-path", Path.Combine(_bin, "artifacts"), "-o", publish, "-v", "q", "-nologo", "-nodeReuse:false");
        Engine = Path.Combine(publish, "losses-engine.exe");
        Publish = clock.Elapsed;
        _web = new Lazy<string>(() =>
        {
            // The browser visualiser into the same folder, as `losses publish win-x64` ships the two together.
            Run("dotnet", new() { ["MSBUILDDISABLENODEREUSE"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_NOLOGO"] = "1" },
                "publish", Path.Combine(TestFiles.RepositoryRoot, "visualiser", "Web", "Losses.Web.csproj"), "-c", "Release", "-r", "win-x64",
                "--self-contained", "--artifacts-path", Path.Combine(_bin, "artifacts"), "-o", publish, "-v", "q", "-nologo", "-nodeReuse:false");
            return Path.Combine(publish, "losses-web.exe");
        });

        clock.Restart();
        Prefix = Path.Combine(Path.GetTempPath(), "losses-wine-" + Guid.NewGuid().ToString("N")[..8]);
        RunWine(TimeSpan.FromMinutes(2), [], "wineboot", "-u");
        Register();
        PrefixSetUp = clock.Elapsed;
    }

    private readonly Lazy<string> _web;

    public string Prefix { get; }
    /// <summary>losses-web.exe, published beside the engine at its first use.</summary>
    public string Web => _web.Value;

    /// <summary>How to run a Windows program of the publish folder under this prefix.</summary>
    public ProcessStartInfo Program(string exe)
    {
        var info = WineInfo([]);
        info.RedirectStandardInput = false;
        info.ArgumentList.Add(exe);
        return info;
    }
    public string Engine { get; }
    public string DriverDll { get; }
    public TimeSpan DriverBuild { get; }
    public TimeSpan Publish { get; }
    public TimeSpan PrefixSetUp { get; }

    /// <summary>A Unix path as the Windows programs see it (Wine maps Z: to /).</summary>
    public static string WindowsPath(string path) => "Z:" + Path.GetFullPath(path).Replace('/', '\\');

    /// <summary>Registers the test driver as an installer would.</summary>
    public void Register()
    {
        string reg = Path.Combine(Prefix, "losses-asio.reg");
        string dll = WindowsPath(DriverDll).Replace(@"\", @"\\");
        File.WriteAllText(reg, $"""
            REGEDIT4

            [HKEY_LOCAL_MACHINE\Software\ASIO\{DriverName}]
            "CLSID"="{Clsid}"
            "Description"="{DriverName}"

            [HKEY_CLASSES_ROOT\CLSID\{Clsid}]
            @="{DriverName}"

            [HKEY_CLASSES_ROOT\CLSID\{Clsid}\InprocServer32]
            @="{dll}"
            "ThreadingModel"="Apartment"

            """.ReplaceLineEndings("\r\n"));
        RunWine(TimeSpan.FromSeconds(60), [], "regedit", "/S", WindowsPath(reg));
    }

    /// <summary>Removes every ASIO driver from the prefix (HKLM\Software\ASIO), as on a machine with none installed.</summary>
    public void Unregister() => RunWine(TimeSpan.FromSeconds(60), [], "reg", "delete", @"HKLM\Software\ASIO", "/f");

    /// <summary>Starts the engine under Wine; <paramref name="env"/> sets the test driver's behaviour.</summary>
    public Process Start(Dictionary<string, string> env, params string[] args)
    {
        var info = WineInfo(env);
        info.ArgumentList.Add(Engine);
        foreach (string a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    /// <summary>
    /// Runs the engine to its end. A run that ends non-zero within a second having printed nothing is
    /// Wine failing to start it, not the engine: the engine takes 0.2 s to start under Wine and says
    /// in a line why it fails. Seen once in a full suite (exit 1 after 10 ms); such a run is started
    /// again, once.
    /// </summary>
    public EngineCli.Outcome RunEngine(Dictionary<string, string> env, params string[] args)
    {
        var clock = Stopwatch.StartNew();
        EngineCli.Outcome r = RunEngineOnce(env, args);
        if (r.ExitCode != 0 && r.Stdout.Length == 0 && r.Stderr.Length == 0 && clock.Elapsed < TimeSpan.FromSeconds(1))
            r = RunEngineOnce(env, args);
        return r;
    }

    private EngineCli.Outcome RunEngineOnce(Dictionary<string, string> env, string[] args)
    {
        using Process p = Start(env, args);
        Task<string> o = p.StandardOutput.ReadToEndAsync(), e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(120)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"losses-engine.exe {string.Join(' ', args)} did not finish under Wine");
        }
        return new EngineCli.Outcome(p.ExitCode, o.Result, e.Result);
    }

    private ProcessStartInfo WineInfo(Dictionary<string, string> env)
    {
        var info = new ProcessStartInfo(Wine) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        info.Environment["WINEPREFIX"] = Prefix;
        info.Environment["WINEDEBUG"] = "-all";
        // No sound card or ALSA sequencer here: keep Wine's ALSA driver (and its complaints) out.
        info.Environment["WINEDLLOVERRIDES"] = "winealsa.drv=d;winepulse.drv=d";
        info.Environment["DISPLAY"] = "";
        foreach (var (k, v) in env) info.Environment[k] = v;
        return info;
    }

    private void RunWine(TimeSpan timeout, Dictionary<string, string> env, params string[] args)
    {
        var info = WineInfo(env);
        foreach (string a in args) info.ArgumentList.Add(a);
        Finish(info, timeout);
    }

    private static void Run(string program, Dictionary<string, string> env, params string[] args)
    {
        var info = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env) info.Environment[k] = v;
        Finish(info, TimeSpan.FromMinutes(5));
    }

    private static void Finish(ProcessStartInfo info, TimeSpan timeout)
    {
        using Process p = Process.Start(info) ?? throw new InvalidOperationException($"could not start {info.FileName}");
        Task<string> o = p.StandardOutput.ReadToEndAsync(), e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{info.FileName} {string.Join(' ', info.ArgumentList)} did not finish in {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{info.FileName} {string.Join(' ', info.ArgumentList)} failed ({p.ExitCode}): {o.Result}{e.Result}");
    }

    public void Dispose()
    {
        try
        {
            var info = WineInfo([]);
            info.FileName = "/usr/lib/wine/wineserver";
            info.ArgumentList.Add("-k");
            using (Process? p = Process.Start(info)) p?.WaitForExit(10_000);
            Directory.Delete(Prefix, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
        {
            // A prefix left in /tmp is harmless.
        }
    }
}

[CollectionDefinition("wine")]
public sealed class WineCollection : ICollectionFixture<WineAsio>;
