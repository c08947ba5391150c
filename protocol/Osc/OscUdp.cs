using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Losses.Protocol.Osc;

/// <summary>A HOST:PORT that was given on a command line, or a one-line reason why it is not one.</summary>
public static class OscEndpoint
{
    public static bool TryParse(string text, out IPEndPoint endpoint, out string problem)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        problem = "";
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) { problem = $"'{text}' is not HOST:PORT (e.g. 127.0.0.1:9000)"; return false; }
        string host = text[..colon].Trim('[', ']');
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            problem = $"'{text}': the port must be 1..65535";
            return false;
        }
        if (!IPAddress.TryParse(host, out IPAddress? address))
        {
            try
            {
                IPAddress[] found = Dns.GetHostAddresses(host);
                address = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault();
            }
            catch (SocketException) { address = null; }
            if (address is null) { problem = $"'{text}': cannot resolve host '{host}'"; return false; }
        }
        if (address.IsIPv6LinkLocal && address.ScopeId == 0)
        {
            problem = $"'{text}': a link-local address (fe80::…) needs the interface it is on: [{address}%eth0]:{port} (ip -br addr names them)";
            return false;
        }
        endpoint = new IPEndPoint(address, port);
        return true;
    }
}

/// <summary>
/// Sends packets to fixed destinations over UDP. Each destination has its own connected socket,
/// so a send is one allocation-free call; a destination nobody listens on is counted, never thrown.
/// </summary>
public sealed class OscSender : IDisposable
{
    private readonly Socket[] _sockets;

    public OscSender(IReadOnlyList<IPEndPoint> destinations)
    {
        Destinations = destinations;
        _sockets = new Socket[destinations.Count];
        for (int i = 0; i < destinations.Count; i++)
        {
            var socket = new Socket(destinations[i].AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                socket.Connect(destinations[i]);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                foreach (Socket made in _sockets.Take(i)) made.Dispose();
                IPAddress a = destinations[i].Address;
                string hint = e.SocketErrorCode == SocketError.AccessDenied || a.Equals(IPAddress.Broadcast) ? "a broadcast address: give the receiver's own address"
                    : a.IsIPv6LinkLocal ? "a link-local address needs the interface it is on, e.g. [fe80::1%eth0]:PORT"
                    : "is it an address this machine can reach?";
                throw new IOException($"cannot send OSC to {destinations[i]}: {e.Message} ({hint})");
            }
            _sockets[i] = socket;
        }
    }

    public IReadOnlyList<IPEndPoint> Destinations { get; }
    public long Packets { get; private set; }
    public long Bytes { get; private set; }
    /// <summary>Sends that failed (nobody listening: the peer's port answered "unreachable"; full buffers).</summary>
    public long Failures { get; private set; }

    public void Send(ReadOnlySpan<byte> packet)
    {
        foreach (Socket socket in _sockets)
        {
            socket.Send(packet, SocketFlags.None, out SocketError error);
            if (error == SocketError.Success) { Packets++; Bytes += packet.Length; }
            else Failures++;
        }
    }

    public void Dispose()
    {
        foreach (Socket socket in _sockets) socket.Dispose();
    }
}

/// <summary>
/// Receives datagrams on a UDP address into its own buffer, without allocating. It binds loopback
/// unless an address is given, and keeps only datagrams whose sender is on its <see cref="OscSenders"/>
/// list: a refused one is counted and never handed on. The buffer holds the largest datagram UDP can
/// carry, so nothing is ever cut (a caller judges "too large" by its own limit); an empty datagram
/// is a datagram of length 0, counted like any other. A wait that times out returns
/// <see cref="Nothing"/> so the caller's thread can look at its stop flag.
/// </summary>
public sealed class OscReceiver : IDisposable
{
    /// <summary>No datagram came in time.</summary>
    public const int Nothing = -1;
    /// <summary>A datagram came from a sender not on the list: counted in <see cref="Refused"/>, dropped.</summary>
    public const int RefusedSender = -2;
    /// <summary>The largest UDP payload (IPv4: 65535 − 8 − 20) fits, with room to spare.</summary>
    private const int MaxDatagram = 65536;

    private readonly Socket _socket;
    private readonly byte[] _datagram = new byte[MaxDatagram];
    private readonly SocketAddress _from;
    private readonly int _timeoutMicros;

    /// <summary>Loopback unless <paramref name="address"/> is given; loopback senders only unless <paramref name="senders"/> says otherwise.</summary>
    public OscReceiver(int port, IPAddress? address = null, int timeoutMs = 100, OscSenders? senders = null)
        : this(new IPEndPoint(address ?? IPAddress.Loopback, port), senders, timeoutMs)
    {
    }

    public OscReceiver(IPEndPoint local, OscSenders? senders = null, int timeoutMs = 100)
    {
        Senders = senders ?? OscSenders.LoopbackOnly;
        _socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (local.AddressFamily == AddressFamily.InterNetworkV6) _socket.DualMode = false;
            _socket.Bind(local);
        }
        catch (SocketException e)
        {
            _socket.Dispose();
            string where = local.Address.Equals(IPAddress.Loopback) ? $"UDP port {local.Port}" : $"{OscListen.Describe(local)} (UDP)";
            string hint = e.SocketErrorCode == SocketError.AddressNotAvailable
                ? "is it an address of this machine? (ip -br addr lists them; 0.0.0.0 is every interface)"
                : "is another program using it?";
            throw new IOException($"cannot listen for OSC on {where}: {e.Message} ({hint})");
        }
        _timeoutMicros = timeoutMs * 1000;
        _socket.ReceiveBufferSize = 1 << 20;
        _from = new SocketAddress(local.AddressFamily);
        Local = (IPEndPoint)_socket.LocalEndPoint!;
        Port = Local.Port;
    }

    public int Port { get; }
    /// <summary>The address and port bound (the port the OS chose, when 0 was asked for).</summary>
    public IPEndPoint Local { get; }
    public OscSenders Senders { get; }
    /// <summary>Datagrams from senders not on the list (dropped unread).</summary>
    public long Refused { get; private set; }

    /// <summary>The bytes of the datagram the last <see cref="Receive"/> returned a length for.</summary>
    public ReadOnlySpan<byte> Datagram => _datagram.AsSpan(0, _length);
    private int _length;

    /// <summary>True when a datagram is waiting (a poll that never blocks).</summary>
    public bool Pending => _socket.Available > 0 || _socket.Poll(0, SelectMode.SelectRead);

    /// <summary>
    /// Waits up to the timeout for a datagram: its length (0 for an empty one), its bytes in
    /// <see cref="Datagram"/>; <see cref="Nothing"/> when none came; <see cref="RefusedSender"/> for one
    /// from a sender not on the list.
    /// </summary>
    public int Receive()
    {
        _length = 0;
        if (!_socket.Poll(_timeoutMicros, SelectMode.SelectRead)) return Nothing;
        int n;
        try
        {
            n = _socket.ReceiveFrom(_datagram, SocketFlags.None, _from);
        }
        catch (SocketException)
        {
            return Nothing; // an ICMP error queued on the socket: nothing to read
        }
        if (!Senders.Allows(_from))
        {
            Refused++;
            return RefusedSender;
        }
        _length = n;
        return n;
    }

    public void Dispose() => _socket.Dispose();
}
