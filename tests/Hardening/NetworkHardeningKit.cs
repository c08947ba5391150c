using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Losses.Tests.Hardening;

/// <summary>What the kernel says about a listening socket, and an address of this machine that is not loopback.</summary>
public static class NetworkHardeningKit
{
    /// <summary>The local addresses of the UDP sockets bound to <paramref name="port"/>, from /proc/net/udp and udp6.</summary>
    public static string[] BoundAddresses(int port)
    {
        var found = new List<string>();
        foreach (string table in new[] { "/proc/net/udp", "/proc/net/udp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (string line in File.ReadLines(table).Skip(1))
            {
                // "  sl  local_address rem_address ...": local as HEXADDR:HEXPORT, the address in the kernel's byte order.
                string local = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
                string[] parts = local.Split(':');
                if (int.Parse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) != port) continue;
                byte[] raw = Convert.FromHexString(parts[0]);
                // Each 32-bit word is in host (little-endian) order.
                for (int i = 0; i < raw.Length; i += 4) Array.Reverse(raw, i, 4);
                found.Add(new IPAddress(raw).ToString());
            }
        }
        return [.. found];
    }

    /// <summary>Datagrams the kernel dropped for the sockets bound to <paramref name="port"/> (its receive buffer was full): the last column of /proc/net/udp.</summary>
    public static long KernelDrops(int port)
    {
        long drops = 0;
        foreach (string table in new[] { "/proc/net/udp", "/proc/net/udp6" })
        {
            if (!File.Exists(table)) continue;
            foreach (string line in File.ReadLines(table).Skip(1))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (int.Parse(f[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                    drops += long.Parse(f[^1], CultureInfo.InvariantCulture);
            }
        }
        return drops;
    }

    /// <summary>
    /// An address of this machine a loopback listener does not answer on: its first network (non-loopback)
    /// IPv4 address — what another host on the stage network would send to — or 127.0.0.2 on a machine without one.
    /// </summary>
    public static string NetworkAddress() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))?.ToString() ?? "127.0.0.2";

    /// <summary>A UDP socket sending from <paramref name="from"/> (a second peer on this machine: 127.0.0.2 is loopback too).</summary>
    public static Socket SenderFrom(string from)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(from), 0));
        return socket;
    }
}
