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
            socket.Connect(destinations[i]);
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
/// Receives datagrams on a UDP port into a caller's buffer, without allocating: a datagram that
/// fills the whole buffer is reported as oversized (it may have been cut), and a receive that
/// times out returns 0 so the caller's thread can look at its stop flag.
/// </summary>
public sealed class OscReceiver : IDisposable
{
    private readonly Socket _socket;

    public OscReceiver(int port, IPAddress? address = null, int timeoutMs = 100)
    {
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.Bind(new IPEndPoint(address ?? IPAddress.Any, port));
        }
        catch (SocketException e)
        {
            _socket.Dispose();
            throw new IOException($"cannot listen for OSC on UDP port {port}: {e.Message} (is another program using it?)");
        }
        _socket.ReceiveTimeout = timeoutMs;
        _socket.ReceiveBufferSize = 1 << 20;
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    /// <summary>True when a datagram is waiting (a poll that never blocks).</summary>
    public bool Pending => _socket.Available > 0;

    /// <summary>The datagram's length; 0 when nothing came in time; −1 when it did not fit in <paramref name="buffer"/> (dropped).</summary>
    public int Receive(Span<byte> buffer)
    {
        int n = _socket.Receive(buffer, SocketFlags.None, out SocketError error);
        if (error == SocketError.MessageSize) return -1;
        if (error != SocketError.Success) return 0;
        return n >= buffer.Length ? -1 : n;
    }

    public void Dispose() => _socket.Dispose();
}
