using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Losses.Protocol;
using Losses.Platform.Cli;
using Losses.Visualiser;
using Losses.Visualiser.Modes;

namespace Losses.Web;

public static class Program
{
    public const int DefaultPort = 8770;

    private const string Notes = """
        the page: F full screen, H the HUD, M the performer's monitor (loss, part, cents), C the camera picker
        a page on another machine gets a camera only over HTTPS: --bind ADDR --tls, then accept the certificate once
        """;

    public static int Main(string[] args) => ExitCode.Run(() => Command().Run(args), e => e is VisualiserException || RingOption.IsProtocolFailure(e));

    private static Command Command()
    {
        string ring = "losses";
        IPEndPoint? listen = null;
        var allow = new List<string>();
        string? frames = null, certificates = null;
        int port = DefaultPort;
        string bind = "127.0.0.1";
        bool tls = false;
        double status = 0, duration = 0;
        return new Command("web", "", "the visuals in a browser: follows the engine's frames and serves a page (WebGL2, the camera) that draws them", () =>
        {
            if (!IPAddress.TryParse(bind, out IPAddress? address))
                throw new UsageException($"web: --bind '{bind}' is not an IP address of this machine (e.g. 127.0.0.1, 0.0.0.0 for every interface, or this machine's LAN address)");
            if (listen is not null && frames is not null) throw new UsageException("web: give one of --ring, --listen and --frames");
            Protocol.Osc.OscSenders senders = Protocol.Osc.OscSenders.FromOptions("web", listen, "--listen", allow, "--allow", "frames");
            return Serve(ring, listen is null ? null : (listen, senders), frames, address, port, tls, certificates ?? Certificate.DefaultFolder, status, duration);
        }, notes: Notes)
        {
            { "--ring", "NAME", "the engine's frame ring, default 'losses'", r => ring = r.Ring() },
            { "--listen", "[ADDR:]PORT", "frames from losses osc --frame-blob on this UDP port instead of the ring, this machine only; ADDR (0.0.0.0: every interface) opens it to --allow",
                r => listen = Protocol.Osc.OscListen.TryParse(r.Value(), out var local, out string problem) ? local : throw r.Error($"--listen {problem}") },
            { "--allow", "ADDR[/BITS]|any", "who may send frames when --listen has an address (repeatable): 192.168.1.20, 192.168.1.0/24, any", r => allow.Add(r.Value()) },
            { "--frames", "IN.frames", "play a frame log instead (the page takes ?at=SECONDS for a still)", r => frames = r.Path() },
            { "--port", "N", $"the page's TCP port, default {DefaultPort} (0: any free one)", r => port = r.Int(0, 65535) },
            { "--bind", "ADDR", "the address to serve on, default 127.0.0.1 (this machine only); 0.0.0.0 for a projector machine", r => bind = r.Value() },
            { "--tls", "HTTPS with a self-signed certificate, made once and kept (a remote page needs it for the camera)", () => tls = true },
            { "--certificate-folder", "DIR", "where the certificate is kept, default the user's application data folder/losses", r => certificates = r.Path() },
            { "--status", "SECONDS", "print a status line this often (for scripts and tests)", r => status = r.Number(0.05, 3600) },
            { "--duration", "SECONDS", "stop after this long (default: until Ctrl-C)", r => duration = r.Number(0.1, 1e7) },
        };
    }

    private static int Serve(string ring, (IPEndPoint Local, Protocol.Osc.OscSenders Senders)? listen, string? frames, IPAddress address, int port, bool tls, string certificates, double status, double duration)
    {
        LogSource? log = frames is null ? null : new LogSource(frames);
        IFrameSource source = log is not null ? log : listen is { } udp ? new OscFrameSource(udp.Local, udp.Senders) : new RingFrameSource(ring);
        X509Certificate2? certificate = null;
        if (tls)
        {
            certificate = Certificate.LoadOrCreate(certificates, Names(address), out string path, out bool created);
            Console.Error.WriteLine($"{(created ? "made" : "using")} the certificate {path} (SHA-256 of its key {Certificate.SpkiHash(certificate)})");
        }
        using var pump = new FramePump(source);
        WebServer server;
        try
        {
            server = new WebServer(pump, log, address, port, certificate);
            server.StartAsync().GetAwaiter().GetResult();
        }
        catch (IOException e) when (e.InnerException is SocketException || e is IOException)
        {
            throw new VisualiserException($"cannot serve on {address}:{port}: {e.Message} (another program has the port? give --port N)");
        }
        pump.Start();
        string scheme = tls ? "https" : "http";
        int actual = server.Addresses.Select(a => new Uri(a.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "[::1]")).Port).FirstOrDefault(port);
        Console.WriteLine($"open {scheme}://{Host(address)}:{actual}/ in a browser ({Describe(ring, listen, frames)}); F full screen, H HUD, M performer's monitor; Ctrl-C stops");
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            foreach (IPAddress lan in LanAddresses())
                Console.WriteLine($"  from another machine: {scheme}://{Host(lan)}:{actual}/{(tls ? "" : "  (no camera over plain http: add --tls)")}");

        using var stop = new ManualResetEventSlim();
        ConsoleCancelEventHandler cancel = (_, e) => { e.Cancel = true; stop.Set(); };
        Console.CancelKeyPress += cancel;
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Set(); });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double lastStatus = 0;
        while (!stop.Wait(50))
        {
            double now = clock.Elapsed.TotalSeconds;
            if (status > 0 && now - lastStatus >= status)
            {
                lastStatus = now;
                Console.WriteLine($"status frames={pump.FramesRead} lost={pump.Lost} pages={pump.Clients}");
            }
            if (duration > 0 && now >= duration) break;
        }
        Console.CancelKeyPress -= cancel;
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Console.WriteLine($"served {pump.FramesRead} frames ({pump.Lost} lost by the server)");
        return 0;
    }

    private static string Describe(string ring, (IPEndPoint Local, Protocol.Osc.OscSenders Senders)? listen, string? frames) =>
        frames is not null ? $"frame log {frames}" : listen is { } udp ? $"frames on UDP {udp.Local}" : $"ring '{ring}'";

    private static string Host(IPAddress a) => a.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{a}]" : a.ToString();

    /// <summary>This machine's own addresses, for the URL a projector machine opens.</summary>
    private static IEnumerable<IPAddress> LanAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(u => u.Address)
            .Where(a => a.AddressFamily == AddressFamily.InterNetwork);

    private static IEnumerable<string> Names(IPAddress bind)
    {
        yield return Dns.GetHostName();
        yield return bind.ToString();
        foreach (IPAddress a in LanAddresses()) yield return a.ToString();
    }
}
