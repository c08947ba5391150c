using System.Buffers.Binary;
using System.Text;

namespace Losses.Protocol.Osc;

/// <summary>What is wrong with a packet (decoding never throws: foreign packets are untrusted input).</summary>
public enum OscError
{
    None = 0,
    Empty,
    /// <summary>The packet, a string or a blob does not end on a 4-byte boundary.</summary>
    NotAligned,
    /// <summary>Neither a message ('/…') nor a bundle ("#bundle").</summary>
    NotOsc,
    /// <summary>A string runs past the end, or its padding is not zeros.</summary>
    BadString,
    BadTypeTags,
    /// <summary>A type tag this decoder does not know (its size cannot be known, so the rest cannot be read).</summary>
    UnknownType,
    /// <summary>Arguments run past the end, or bytes are left over after them.</summary>
    BadArguments,
    /// <summary>A bundle element's size does not fit.</summary>
    BadBundle,
    /// <summary>Bundles nested deeper than <see cref="OscPacket.MaxDepth"/>.</summary>
    TooDeep,
}

/// <summary>Receives the messages of a packet, with the time tag of the innermost bundle (<see cref="OscTimeTag.Immediately"/> for a bare message).</summary>
public interface IOscHandler
{
    void OnMessage(in OscMessage message);
}

/// <summary>One decoded message: views into the packet, valid while the packet's buffer is.</summary>
public readonly ref struct OscMessage
{
    private readonly ReadOnlySpan<byte> _arguments;

    internal OscMessage(ReadOnlySpan<byte> address, ReadOnlySpan<byte> typeTags, ReadOnlySpan<byte> arguments, OscTimeTag time)
    {
        Address = address;
        TypeTags = typeTags;
        _arguments = arguments;
        Time = time;
    }

    /// <summary>The address pattern's ASCII bytes (no terminator).</summary>
    public ReadOnlySpan<byte> Address { get; }
    /// <summary>The type tags without the leading ',' ("iif").</summary>
    public ReadOnlySpan<byte> TypeTags { get; }
    public OscTimeTag Time { get; }

    public bool Is(ReadOnlySpan<byte> address) => Address.SequenceEqual(address);

    public OscArguments Arguments => new(TypeTags, _arguments);

    public override string ToString() => $"{Encoding.ASCII.GetString(Address)} ,{Encoding.ASCII.GetString(TypeTags)}";
}

/// <summary>Reads a validated message's arguments in order; a Try… that does not match the next tag reads nothing and returns false.</summary>
public ref struct OscArguments
{
    private readonly ReadOnlySpan<byte> _tags;
    private readonly ReadOnlySpan<byte> _data;
    private int _tag, _offset;

    internal OscArguments(ReadOnlySpan<byte> tags, ReadOnlySpan<byte> data)
    {
        _tags = tags;
        _data = data;
    }

    public readonly int Count => _tags.Length;
    public readonly int Remaining => _tags.Length - _tag;
    /// <summary>The next argument's tag, or '\0' when none is left.</summary>
    public readonly char Next => _tag < _tags.Length ? (char)_tags[_tag] : '\0';

    public bool TryInt(out int value)
    {
        value = 0;
        if (Next != 'i') return false;
        value = BinaryPrimitives.ReadInt32BigEndian(_data[_offset..]);
        Advance(4);
        return true;
    }

    public bool TryFloat(out float value)
    {
        value = 0;
        if (Next != 'f') return false;
        value = BinaryPrimitives.ReadSingleBigEndian(_data[_offset..]);
        Advance(4);
        return true;
    }

    public bool TryLong(out long value)
    {
        value = 0;
        if (Next != 'h') return false;
        value = BinaryPrimitives.ReadInt64BigEndian(_data[_offset..]);
        Advance(8);
        return true;
    }

    public bool TryDouble(out double value)
    {
        value = 0;
        if (Next != 'd') return false;
        value = BinaryPrimitives.ReadDoubleBigEndian(_data[_offset..]);
        Advance(8);
        return true;
    }

    /// <summary>A number whatever its OSC type (i, f, h, d, T=1, F=0): tablets send floats for everything.</summary>
    public bool TryNumber(out double value)
    {
        value = 0;
        switch (Next)
        {
            case 'i': TryInt(out int i); value = i; return true;
            case 'f': TryFloat(out float f); value = f; return true;
            case 'h': TryLong(out long h); value = h; return true;
            case 'd': return TryDouble(out value);
            case 'T': value = 1; _tag++; return true;
            case 'F': value = 0; _tag++; return true;
            default: return false;
        }
    }

    /// <summary>A string (s or S): its ASCII bytes without the terminator.</summary>
    public bool TryString(out ReadOnlySpan<byte> value)
    {
        value = default;
        if (Next is not ('s' or 'S')) return false;
        int end = _data[_offset..].IndexOf((byte)0);
        value = _data.Slice(_offset, end);
        Advance(OscPacket.Padded(end + 1));
        return true;
    }

    public bool TryBlob(out ReadOnlySpan<byte> value)
    {
        value = default;
        if (Next != 'b') return false;
        int size = BinaryPrimitives.ReadInt32BigEndian(_data[_offset..]);
        value = _data.Slice(_offset + 4, size);
        Advance(4 + OscPacket.Padded(size));
        return true;
    }

    /// <summary>Steps over the next argument whatever its type.</summary>
    public bool Skip()
    {
        if (_tag >= _tags.Length) return false;
        int size = OscPacket.ArgumentSize((char)_tags[_tag], _data[_offset..]);
        Advance(size);
        return true;
    }

    private void Advance(int bytes)
    {
        _offset += bytes;
        _tag++;
    }
}

/// <summary>
/// Decodes OSC 1.0 packets strictly: every size, terminator, padding and type tag is checked
/// before a single message is handed out, so a malformed packet is reported whole, never half-read.
/// Understands i f s b (OSC 1.0) and the common extensions h t d S c r m T F N I; never allocates.
/// </summary>
public static class OscPacket
{
    public const int MaxDepth = 8;

    public static int Padded(int length) => (length + 3) & ~3;

    /// <summary>Checks a packet without handing out anything.</summary>
    public static OscError Validate(ReadOnlySpan<byte> packet)
    {
        var none = new NoHandler();
        return Walk(packet, ref none, OscTimeTag.Immediately, 0, dispatch: false);
    }

    /// <summary>Validates the whole packet, then hands each message (in bundle order, depth first) to the handler.</summary>
    public static OscError Read<THandler>(ReadOnlySpan<byte> packet, ref THandler handler) where THandler : IOscHandler, allows ref struct
    {
        OscError error = Validate(packet);
        if (error != OscError.None) return error;
        return Walk(packet, ref handler, OscTimeTag.Immediately, 0, dispatch: true);
    }

    private static OscError Walk<THandler>(ReadOnlySpan<byte> packet, ref THandler handler, OscTimeTag time, int depth, bool dispatch)
        where THandler : IOscHandler, allows ref struct
    {
        if (packet.Length == 0) return OscError.Empty;
        if ((packet.Length & 3) != 0) return OscError.NotAligned;
        if (packet[0] == (byte)'#')
        {
            if (depth >= MaxDepth) return OscError.TooDeep;
            if (packet.Length < 16 || !packet[..8].SequenceEqual("#bundle\0"u8)) return OscError.NotOsc;
            var tag = new OscTimeTag(BinaryPrimitives.ReadUInt64BigEndian(packet[8..]));
            int at = 16;
            while (at < packet.Length)
            {
                if (packet.Length - at < 4) return OscError.BadBundle;
                int size = BinaryPrimitives.ReadInt32BigEndian(packet[at..]);
                if (size <= 0 || (size & 3) != 0 || size > packet.Length - at - 4) return OscError.BadBundle;
                OscError inner = Walk(packet.Slice(at + 4, size), ref handler, tag, depth + 1, dispatch);
                if (inner != OscError.None) return inner;
                at += 4 + size;
            }
            return OscError.None;
        }
        if (packet[0] != (byte)'/') return OscError.NotOsc;

        OscError error = ReadString(packet, 0, out ReadOnlySpan<byte> address, out int next);
        if (error != OscError.None) return error;
        ReadOnlySpan<byte> tags = default;
        if (next < packet.Length)
        {
            // OSC 1.0 lets very old senders omit the type tags; anything after the address must be them.
            if (packet[next] != (byte)',') return OscError.BadTypeTags;
            error = ReadString(packet, next, out ReadOnlySpan<byte> withComma, out next);
            if (error != OscError.None) return error;
            tags = withComma[1..];
        }
        ReadOnlySpan<byte> arguments = packet[next..];
        if (!dispatch)
        {
            int at = 0;
            foreach (byte t in tags)
            {
                int size = ArgumentSize((char)t, arguments[at..]);
                if (size == -2) return OscError.UnknownType;
                if (size < 0 || size > arguments.Length - at) return OscError.BadArguments;
                at += size;
            }
            if (at != arguments.Length) return OscError.BadArguments;
            return OscError.None;
        }
        handler.OnMessage(new OscMessage(address, tags, arguments, time));
        return OscError.None;
    }

    /// <summary>A string's bytes from <paramref name="at"/>: terminated, zero-padded to 4, inside the packet.</summary>
    private static OscError ReadString(ReadOnlySpan<byte> packet, int at, out ReadOnlySpan<byte> text, out int next)
    {
        text = default;
        next = at;
        int end = packet[at..].IndexOf((byte)0);
        if (end < 0) return OscError.BadString;
        int padded = Padded(end + 1);
        if (padded > packet.Length - at) return OscError.BadString;
        if (packet.Slice(at + end, padded - end).ContainsAnyExcept((byte)0)) return OscError.BadString;
        text = packet.Slice(at, end);
        next = at + padded;
        return OscError.None;
    }

    /// <summary>Bytes the argument of this tag takes at the start of <paramref name="data"/>; −1 when it does not fit, −2 for an unknown tag.</summary>
    internal static int ArgumentSize(char tag, ReadOnlySpan<byte> data)
    {
        switch (tag)
        {
            case 'i' or 'f' or 'c' or 'r' or 'm': return 4;
            case 'h' or 't' or 'd': return 8;
            case 'T' or 'F' or 'N' or 'I' or '[' or ']': return 0;
            case 's' or 'S':
                return ReadString(data, 0, out _, out int next) == OscError.None ? next : -1;
            case 'b':
                if (data.Length < 4) return -1;
                int size = BinaryPrimitives.ReadInt32BigEndian(data);
                if (size < 0 || size > data.Length - 4) return -1;
                int total = 4 + Padded(size);
                if (total > data.Length || data.Slice(4 + size, total - 4 - size).ContainsAnyExcept((byte)0)) return -1;
                return total;
            default: return -2;
        }
    }

    private struct NoHandler : IOscHandler
    {
        public readonly void OnMessage(in OscMessage message) { }
    }
}
