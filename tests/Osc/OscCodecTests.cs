using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Losses.Protocol.Osc;

namespace Losses.Tests.Osc;

/// <summary>The hand-written OSC 1.0 codec against the specification's own examples and against liblo (oscsend, oscdump).</summary>
public class OscCodecTests
{
    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    [Fact]
    public void The_specifications_example_messages_encode_byte_for_byte()
    {
        Span<byte> buffer = stackalloc byte[256];
        var w = new OscWriter(buffer);
        w.BeginMessage("/oscillator/4/frequency", ",f");
        w.Float(440f);
        w.EndMessage();
        Assert.False(w.Failed);
        Assert.Equal(Hex("2f6f7363 696c6c61 746f722f 342f6672 65717565 6e637900 2c660000 43dc0000"), w.Packet.ToArray());

        w = new OscWriter(buffer);
        w.BeginMessage("/foo", ",iisff");
        w.Int(1000); w.Int(-1); w.String("hello"); w.Float(1.234f); w.Float(5.678f);
        w.EndMessage();
        Assert.False(w.Failed);
        Assert.Equal(Hex("2f666f6f 00000000 2c696973 66660000 000003e8 ffffffff 68656c6c 6f000000 3f9df3b6 40b5b22d"), w.Packet.ToArray());
    }

    [Fact]
    public void Nested_bundles_carry_their_time_tags_and_sizes_and_decode_in_order()
    {
        Span<byte> buffer = stackalloc byte[512];
        var w = new OscWriter(buffer);
        w.BeginBundle(new OscTimeTag(0x0102030405060708));
        w.BeginMessage("/a", ",ib");
        w.Int(7);
        w.Blob([1, 2, 3, 4, 5]);
        w.EndMessage();
        w.BeginBundle(OscTimeTag.Immediately);
        w.BeginMessage("/b", ",hdsTFN");
        w.Long(-5_000_000_000); w.Double(Math.PI); w.String("knot"); w.Flag('T'); w.Flag('F'); w.Flag('N');
        w.EndMessage();
        w.EndBundle();
        w.EndBundle();
        Assert.False(w.Failed);
        byte[] packet = w.Packet.ToArray();

        // Sizes by hand: "/a" 4 + ",ib" 4 + i 4 + blob (4 + 8) = 24; "/b" 4 + ",hdsTFN" 8 + 8 + 8 + "knot" 8 = 36;
        // inner bundle 16 + 4 + 36 = 56; outer 16 + 4 + 24 + 4 + 56 = 104.
        Assert.Equal(104, packet.Length);
        Assert.Equal(Hex("2362756e 646c6500 01020304 05060708 00000018"), packet[..20]);
        Assert.Equal(Hex("00000038 2362756e 646c6500 00000000 00000001"), packet[44..64]);

        var seen = new Collect();
        Assert.Equal(OscError.None, OscPacket.Read(packet, ref seen));
        Assert.Equal(["/a ib 7 [1,2,3,4,5] @0102030405060708", "/b hdsTFN -5000000000 3.141592653589793 knot 1 0 N @0000000000000001"], seen.Lines);
    }

    [Fact]
    public void Writing_fails_cleanly_when_out_of_room_or_against_the_type_tags()
    {
        Span<byte> small = stackalloc byte[15];
        var w = new OscWriter(small);
        w.BeginMessage("/losses/loss", ",f");
        w.Float(1f);
        w.EndMessage();
        Assert.True(w.Failed);
        Assert.True(w.Packet.IsEmpty);

        Span<byte> buffer = stackalloc byte[64];
        w = new OscWriter(buffer);
        w.BeginMessage("/x", ",i");
        w.Float(1f); // not an int
        Assert.True(w.Failed);

        w = new OscWriter(buffer);
        w.BeginMessage("/x", ",ii");
        w.Int(1);
        w.EndMessage(); // one argument missing
        Assert.True(w.Failed);

        w = new OscWriter(buffer);
        w.BeginBundle(OscTimeTag.Immediately);
        Assert.True(w.Packet.IsEmpty); // still open
        w.EndBundle();
        w.EndBundle(); // unbalanced
        Assert.True(w.Failed);
    }

    [Fact]
    public void Writing_and_reading_allocate_nothing()
    {
        byte[] buffer = new byte[1024];
        var handler = new Sum();
        static int Once(byte[] buffer, ref Sum handler)
        {
            var w = new OscWriter(buffer);
            w.BeginBundle(new OscTimeTag(42));
            w.BeginMessage("/losses/theta", ",ffff");
            for (int i = 0; i < 4; i++) w.Float(i);
            w.EndMessage();
            w.BeginMessage("/losses/model", ",s");
            w.String("cubic");
            w.EndMessage();
            w.EndBundle();
            OscPacket.Read(w.Packet, ref handler);
            return w.Length;
        }
        Once(buffer, ref handler);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) Once(buffer, ref handler);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1001 * 6.0, handler.Total);
    }

    public static TheoryData<string, OscError> Malformed => new()
    {
        { "", OscError.Empty },
        { "2f61 00", OscError.NotAligned },                                   // 3 bytes
        { "61626300", OscError.NotOsc },                                      // no '/' or '#'
        { "2f616263", OscError.BadString },                                   // address never ends
        { "2f610001", OscError.BadString },                                   // padding not zero
        { "2f610000 69000000", OscError.BadTypeTags },                        // tags without ','
        { "2f610000 2c690000", OscError.BadArguments },                       // int missing
        { "2f610000 2c690000 00000001 00000002", OscError.BadArguments },     // bytes left over
        { "2f610000 2c710000 00000001", OscError.UnknownType },               // 'q'
        { "2f610000 2c620000 00000010 01020304", OscError.BadArguments },     // blob longer than the packet
        { "2f610000 2c730000 61626364", OscError.BadArguments },              // string argument never ends
        { "2362756e 646c6500 00000000 00000001 00000100 2f610000", OscError.BadBundle }, // element larger than the bundle
        { "2362756e 646c6500 00000000 00000001 00000003 2f610000", OscError.BadBundle }, // element size not aligned
        { "2362756e 646c6500 00000000", OscError.NotOsc },                    // bundle header cut short
        { "2362756e 646c6501 00000000 00000001", OscError.NotOsc },            // not "#bundle\0"
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_packets_are_reported_and_hand_out_nothing(string hex, OscError expected)
    {
        var seen = new Collect();
        Assert.Equal(expected, OscPacket.Read(Hex(hex), ref seen));
        Assert.Empty(seen.Lines);
    }

    [Fact]
    public void A_packet_with_one_bad_message_in_a_bundle_hands_out_none_of_it()
    {
        byte[] packet = Hex("2362756e 646c6500 00000000 00000001 00000008 2f610000 2c000000 0000000c 2f620000 2c690000 00000001");
        var seen = new Collect();
        Assert.Equal(OscError.None, OscPacket.Read(packet, ref seen));
        Assert.Equal(2, seen.Lines.Count);
        packet[^7] = 0x71; // 'i' → 'q' in the second message
        seen = new Collect();
        Assert.Equal(OscError.UnknownType, OscPacket.Read(packet, ref seen));
        Assert.Empty(seen.Lines);
    }

    [Fact]
    public void Bundles_nested_too_deep_are_refused()
    {
        byte[] inner = Hex("2f610000 2c000000");
        for (int depth = 0; depth < OscPacket.MaxDepth + 1; depth++)
        {
            var next = new byte[16 + 4 + inner.Length];
            "#bundle\0"u8.CopyTo(next);
            next[15] = 1;
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(next.AsSpan(16), inner.Length);
            inner.CopyTo(next, 20);
            inner = next;
        }
        Assert.Equal(OscError.TooDeep, OscPacket.Validate(inner));
    }

    [Fact]
    public void A_message_without_type_tags_is_read_as_having_no_arguments()
    {
        var seen = new Collect();
        Assert.Equal(OscError.None, OscPacket.Read(Hex("2f6c6f73 7365732f 6e657874 00000000"), ref seen));
        Assert.Equal(["/losses/next  @0000000000000001"], seen.Lines);
    }

    [Fact]
    public void Time_tags_convert_to_and_from_the_unix_clock()
    {
        // 2000-01-01T00:00:00Z is 946684800 s after 1970 and 3155673600 s after 1900.
        OscTimeTag t = OscTimeTag.FromUnixSeconds(946684800.5);
        Assert.Equal((3155673600UL << 32) | 0x8000_0000UL, t.Value);
        Assert.Equal(946684800.5, t.ToUnixSeconds(), 6);
    }

    [Fact]
    public void What_oscsend_encodes_decodes_to_its_values()
    {
        byte[] packet = OscPeers.Encode("/losses/part", "ifsShdTFNc", "3", "-0.25", "tablet", "sym", "-9000000000", "2.5", "x");
        var seen = new Collect();
        Assert.Equal(OscError.None, OscPacket.Read(packet, ref seen));
        Assert.Equal(["/losses/part ifsShdTFNc 3 -0.25 tablet sym -9000000000 2.5 1 0 N c @0000000000000001"], seen.Lines);
        Assert.Equal(Hex("00000078"), packet[^4..]); // the char 'x', skipped over as 4 bytes
    }

    [Fact]
    public void What_oscsend_sends_over_udp_decodes_to_its_values()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.ReceiveTimeout = 5000;
        int port = ((IPEndPoint)socket.LocalEndPoint!).Port;
        var (exit, err) = OscPeers.Send("127.0.0.1", port.ToString(CultureInfo.InvariantCulture), "/losses/next", "if", "12", "0.5");
        Assert.True(exit == 0, err);
        byte[] buffer = new byte[2048];
        int n = socket.Receive(buffer);
        var seen = new Collect();
        Assert.Equal(OscError.None, OscPacket.Read(buffer.AsSpan(0, n), ref seen));
        Assert.Equal(["/losses/next if 12 0.5 @0000000000000001"], seen.Lines);
    }

    [Fact]
    public void What_we_send_oscdump_prints_with_the_same_values_and_time_tag()
    {
        using var dump = new OscDump(OscPeers.FreeUdpPort());
        byte[] buffer = new byte[1024];
        var w = new OscWriter(buffer);
        w.BeginBundle(new OscTimeTag(0xEEB584D2_00713F07));
        w.BeginMessage("/losses/theta", ",ffff");
        w.Float(0.5f); w.Float(-0.25f); w.Float(1e-3f); w.Float(-1f);
        w.EndMessage();
        w.BeginMessage("/losses/step", ",ii");
        w.Int(12); w.Int(-345);
        w.EndMessage();
        w.BeginBundle(new OscTimeTag(0xEEB584D3_00000000));
        w.BeginMessage("/losses/model", ",shdTN");
        w.String("knot"); w.Long(9_000_000_000); w.Double(0.125); w.Flag('T'); w.Flag('N');
        w.EndMessage();
        w.EndBundle();
        w.BeginMessage("/losses/frame", ",b");
        w.Blob([0xde, 0xad, 0xbe]);
        w.EndMessage();
        w.EndBundle();
        Assert.False(w.Failed);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.SendTo(w.Packet, new IPEndPoint(IPAddress.Loopback, dump.Port));

        List<string> lines = dump.Drain(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(5));
        Assert.Equal(4, lines.Count);
        Assert.Equal("eeb584d2.00713f07 /losses/theta ffff 0.500000 -0.250000 0.001000 -1.000000", lines[0]);
        Assert.Equal("eeb584d2.00713f07 /losses/step ii 12 -345", lines[1]);
        Assert.Equal("eeb584d3.00000000 /losses/model shdTN \"knot\" 9000000000 0.125000 #T Nil", lines[2]);
        // liblo prints a blob of up to 12 bytes as "[<size>b " then each byte as printf's "%#02x" (lo_arg_pp).
        Assert.Equal("eeb584d2.00713f07 /losses/frame b [3b 0xde 0xad 0xbe]", lines[3]);
    }

    /// <summary>Prints every message as "address tags values @timetag" with independent formatting.</summary>
    private struct Collect() : IOscHandler
    {
        public List<string> Lines { get; } = [];

        public readonly void OnMessage(in OscMessage m)
        {
            var sb = new StringBuilder();
            sb.Append(Encoding.ASCII.GetString(m.Address)).Append(' ').Append(Encoding.ASCII.GetString(m.TypeTags));
            OscArguments a = m.Arguments;
            while (a.Remaining > 0)
            {
                sb.Append(' ');
                char tag = a.Next;
                if (a.TryInt(out int i)) sb.Append(i.ToString(CultureInfo.InvariantCulture));
                else if (a.TryFloat(out float f)) sb.Append(f.ToString(CultureInfo.InvariantCulture));
                else if (a.TryLong(out long h)) sb.Append(h.ToString(CultureInfo.InvariantCulture));
                else if (a.TryDouble(out double d)) sb.Append(d.ToString(CultureInfo.InvariantCulture));
                else if (a.TryString(out ReadOnlySpan<byte> s)) sb.Append(Encoding.ASCII.GetString(s));
                else if (a.TryBlob(out ReadOnlySpan<byte> b)) sb.Append('[').Append(string.Join(',', b.ToArray())).Append(']');
                else if (tag is 'T' or 'F' && a.TryNumber(out double flag)) sb.Append(flag.ToString(CultureInfo.InvariantCulture));
                else { sb.Append(tag); a.Skip(); }
            }
            sb.Append(" @").Append(m.Time.Value.ToString("x16", CultureInfo.InvariantCulture));
            Lines.Add(sb.ToString());
        }
    }

    private struct Sum : IOscHandler
    {
        public double Total;

        public void OnMessage(in OscMessage m)
        {
            OscArguments a = m.Arguments;
            while (a.TryFloat(out float f)) Total += f;
        }
    }
}
