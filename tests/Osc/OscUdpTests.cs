using System.Net;
using System.Net.Sockets;
using Losses.Protocol.Osc;
using Xunit.Abstractions;

namespace Losses.Tests.Osc;

/// <summary>The UDP ends: what the engine's OSC-in thread calls must not allocate, idle or busy.</summary>
public class OscUdpTests(ITestOutputHelper output)
{
    [Fact]
    public void Receiving_allocates_nothing_whether_packets_come_or_the_wait_times_out()
    {
        using var receiver = new OscReceiver(0, IPAddress.Loopback, timeoutMs: 20);
        using var sender = new OscSender([new IPEndPoint(IPAddress.Loopback, receiver.Port)]);
        byte[] packet = "/losses/next\0\0\0\0,\0\0\0"u8.ToArray();
        for (int i = 0; i < 3; i++) { sender.Send(packet); receiver.Receive(); receiver.Receive(); } // JIT and first-use set-up

        long before = GC.GetAllocatedBytesForCurrentThread();
        int timeouts = 0, received = 0;
        for (int i = 0; i < 10; i++) if (receiver.Receive() == OscReceiver.Nothing) timeouts++;
        long idle = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            sender.Send(packet);
            if (receiver.Receive() == packet.Length && receiver.Datagram.SequenceEqual(packet)) received++;
        }
        long busy = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"idle {idle} B over {timeouts} timeouts, busy {busy} B over {received} packets");
        Assert.Equal(10, timeouts);
        Assert.Equal(50, received);
        Assert.Equal(0, idle);
        Assert.Equal(0, busy);
    }
}
