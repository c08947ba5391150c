using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Losses.Platform.Cli;

namespace Losses.Protocol.Osc;

/// <summary>
/// Where a program listens for OSC (`live --osc-in`, `visualise --listen`): `PORT` is loopback only;
/// `ADDR:PORT` (`[ADDR]:PORT` for IPv6) binds that address — `0.0.0.0` every interface — and then
/// needs a list of senders (<see cref="OscSenders"/>), so the network is never in by accident.
/// </summary>
public static class OscListen
{
    /// <summary>The address and port of `[ADDR:]PORT`, or a one-line reason why it is not one.</summary>
    public static bool TryParse(string text, out IPEndPoint local, out string problem)
    {
        local = new IPEndPoint(IPAddress.Loopback, 0);
        problem = "";
        string host = "", portText = text;
        int colons = text.Count(c => c == ':');
        if (text.StartsWith('['))
        {
            int close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
            {
                problem = $"'{text}' is not [ADDR]:PORT (e.g. [::1]:9000)";
                return false;
            }
            host = text[1..close];
            portText = text[(close + 2)..];
        }
        else if (colons == 1)
        {
            host = text[..text.IndexOf(':')];
            portText = text[(text.IndexOf(':') + 1)..];
        }
        else if (colons > 1)
        {
            problem = $"'{text}': write an IPv6 address in brackets, [ADDR]:PORT (e.g. [::1]:9000)";
            return false;
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            problem = $"'{text}' is not [ADDR:]PORT with a port in 1..65535 (e.g. 9000, or 0.0.0.0:9000 for every interface)";
            return false;
        }
        IPAddress address = IPAddress.Loopback;
        if (host.Length > 0 || text.Contains(':'))
        {
            if (!IPAddress.TryParse(host, out IPAddress? parsed) || host.Contains(':') != text.StartsWith('['))
            {
                problem = $"'{text}': '{host}' is not an IP address (give e.g. 192.168.1.10:{port}, 0.0.0.0:{port} or [::1]:{port})";
                return false;
            }
            address = parsed;
        }
        local = new IPEndPoint(address, port);
        return true;
    }

    /// <summary>True when only this machine can reach the address (127.0.0.0/8, ::1).</summary>
    public static bool IsLoopback(IPEndPoint local) => IPAddress.IsLoopback(local.Address);

    /// <summary>"127.0.0.1:9000", "[::1]:9000".</summary>
    public static string Describe(IPEndPoint local) => local.ToString();
}

/// <summary>
/// The senders a listening socket takes datagrams from: addresses with an optional prefix length
/// (`192.168.1.20`, `192.168.1.0/24`, `fd00::/64`), or anyone (`any`). Checked per datagram against
/// the sender's raw socket address, without allocating.
/// </summary>
public sealed class OscSenders
{
    private readonly Entry[] _entries;
    private readonly bool _anyone;

    private OscSenders(Entry[] entries, bool anyone, string description)
    {
        _entries = entries;
        _anyone = anyone;
        Description = description;
    }

    private readonly record struct Entry(AddressFamily Family, byte[] Address, int Bits);

    /// <summary>This machine only (127.0.0.0/8 and ::1): what a loopback listener takes.</summary>
    public static OscSenders LoopbackOnly { get; } = new(
        [new Entry(AddressFamily.InterNetwork, [127, 0, 0, 0], 8), new Entry(AddressFamily.InterNetworkV6, IPAddress.IPv6Loopback.GetAddressBytes(), 128)],
        anyone: false, "this machine only");

    /// <summary>Every sender that can reach the socket.</summary>
    public static OscSenders Anyone { get; } = new([], anyone: true, "any sender");

    /// <summary>"this machine only", "any sender", "192.168.1.0/24, 10.0.0.5".</summary>
    public string Description { get; }

    /// <summary>
    /// A command's listen and allow options as one check (`live --osc-in/--osc-allow`, `visualise` and
    /// `web --listen/--allow`): without a listen address, loopback only; an allow list without one, or one
    /// that does not suit it (<see cref="TryCreate"/>), is a usage error in the command's words.
    /// <paramref name="whoSends"/> says what the senders send ("frames", "OSC commands").
    /// </summary>
    public static OscSenders FromOptions(string command, IPEndPoint? listen, string listenOption, IReadOnlyList<string> allow, string allowOption, string whoSends)
    {
        if (listen is null)
            return allow.Count == 0 ? LoopbackOnly : throw new UsageException($"{command}: {allowOption} names who may send {whoSends}: give {listenOption} [ADDR:]PORT too");
        return TryCreate(listen, allow, allowOption, out OscSenders senders, out string problem) ? senders : throw new UsageException($"{command}: {listenOption} {problem}");
    }

    /// <summary>
    /// The list for a listener on <paramref name="local"/> from the `--allow` values given: loopback
    /// senders when none is given and the address is loopback; a listener on the network must be
    /// given its senders (or `any`), so a concert machine is not open to the whole network by default.
    /// </summary>
    public static bool TryCreate(IPEndPoint local, IReadOnlyList<string> allow, string allowOption, out OscSenders senders, out string problem)
    {
        senders = LoopbackOnly;
        problem = "";
        if (allow.Count == 0)
        {
            if (OscListen.IsLoopback(local)) return true;
            problem = $"{OscListen.Describe(local)} takes datagrams from the network: say who may send them with {allowOption} ADDR[/BITS] "
                + $"(e.g. {allowOption} 192.168.1.0/24), or {allowOption} any";
            return false;
        }
        if (allow.Contains("any"))
        {
            senders = Anyone;
            return true;
        }
        var entries = new List<Entry>();
        foreach (string text in allow)
        {
            if (!TryParseEntry(text, out Entry entry))
            {
                problem = $"{allowOption} '{text}' is not ADDR or ADDR/BITS (e.g. 192.168.1.20, 192.168.1.0/24, fd00::/64) or any";
                return false;
            }
            entries.Add(entry);
        }
        senders = new OscSenders([.. entries], anyone: false, string.Join(", ", allow));
        return true;
    }

    private static bool TryParseEntry(string text, out Entry entry)
    {
        entry = default;
        int slash = text.IndexOf('/');
        string addressText = slash < 0 ? text : text[..slash];
        if (!IPAddress.TryParse(addressText, out IPAddress? address)) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int bits = max;
        if (slash >= 0 && (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out bits) || bits > max))
            return false;
        entry = new Entry(address.AddressFamily, address.GetAddressBytes(), bits);
        return true;
    }

    /// <summary>Whether a datagram from <paramref name="sender"/> is taken. Allocation-free.</summary>
    public bool Allows(SocketAddress sender)
    {
        if (_anyone) return true;
        // sockaddr_in: family (2), port (2), address (4); sockaddr_in6: family (2), port (2), flow info (4), address (16).
        ReadOnlySpan<byte> raw = sender.Buffer.Span;
        AddressFamily family = sender.Family;
        ReadOnlySpan<byte> address = family switch
        {
            AddressFamily.InterNetwork when sender.Size >= 8 => raw.Slice(4, 4),
            AddressFamily.InterNetworkV6 when sender.Size >= 24 => raw.Slice(8, 16),
            _ => default,
        };
        if (address.IsEmpty) return false;
        // An IPv4 sender seen through an IPv6 socket (::ffff:a.b.c.d) is matched as IPv4.
        if (family == AddressFamily.InterNetworkV6 && address[..10].IndexOfAnyExcept((byte)0) < 0 && address[10] == 0xFF && address[11] == 0xFF)
        {
            family = AddressFamily.InterNetwork;
            address = address[12..];
        }
        foreach (Entry e in _entries)
            if (e.Family == family && PrefixMatches(e.Address, address, e.Bits)) return true;
        return false;
    }

    private static bool PrefixMatches(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> address, int bits)
    {
        int whole = bits / 8;
        if (!prefix[..whole].SequenceEqual(address[..whole])) return false;
        int rest = bits % 8;
        if (rest == 0) return true;
        int mask = 0xFF << (8 - rest) & 0xFF;
        return (prefix[whole] & mask) == (address[whole] & mask);
    }
}
