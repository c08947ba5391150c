using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Losses.Protocol.Osc;

/// <summary>An OSC time tag: NTP seconds since 1900 in the upper 32 bits, a binary fraction in the lower.</summary>
public readonly record struct OscTimeTag(ulong Value)
{
    /// <summary>The one special value: "now", i.e. as soon as it arrives.</summary>
    public static readonly OscTimeTag Immediately = new(1);

    private const long NtpToUnixSeconds = 2_208_988_800;

    public static OscTimeTag FromUnixSeconds(double seconds)
    {
        double ntp = seconds + NtpToUnixSeconds;
        if (!(ntp >= 0)) return new OscTimeTag(0);
        ulong whole = (ulong)Math.Floor(ntp);
        ulong fraction = (ulong)Math.Round((ntp - whole) * 4294967296.0);
        if (fraction > uint.MaxValue) { whole++; fraction = 0; }
        return new OscTimeTag((whole << 32) | fraction);
    }

    public double ToUnixSeconds() => (Value >> 32) - NtpToUnixSeconds + (Value & 0xFFFF_FFFF) / 4294967296.0;
}

[InlineArray(OscWriter.MaxDepth)]
internal struct OscOpenElements { private int _element; }

/// <summary>
/// Writes OSC 1.0 packets into a caller's buffer without allocating: a message, or a bundle of
/// messages and nested bundles. Each message names its type tags up front (",iif"); every argument
/// must match the next tag. Running out of room, a wrong argument or an unbalanced bundle marks the
/// writer failed instead of throwing, so the caller checks <see cref="Failed"/> once at the end.
/// </summary>
public ref struct OscWriter
{
    public const int MaxDepth = 8;

    private readonly Span<byte> _buffer;
    private int _length;
    private OscOpenElements _open; // start of each open bundle element's size field (−1: top level)
    private int _depth;            // open bundles
    private int _messageStart;     // −1 outside a message
    private int _tagStart;         // where the message's type tags (after ',') start
    private int _tagCount, _tagNext;

    public OscWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _messageStart = -1;
    }

    /// <summary>True once anything went wrong (no room, argument against its tag, unbalanced calls).</summary>
    public bool Failed { get; private set; }
    public readonly int Length => _length;
    /// <summary>The finished packet (empty when failed or still open).</summary>
    public readonly ReadOnlySpan<byte> Packet => Failed || _depth > 0 || _messageStart >= 0 ? default : _buffer[.._length];

    /// <summary>Starts a bundle (top level or nested in an open one).</summary>
    public void BeginBundle(OscTimeTag time)
    {
        if (_messageStart >= 0 || _depth == MaxDepth || (_depth == 0 && _length > 0)) { Failed = true; return; }
        _open[_depth] = _depth == 0 ? -1 : ReserveSize();
        _depth++;
        WriteBytes("#bundle\0"u8);
        WriteUInt64(time.Value);
    }

    public void EndBundle()
    {
        if (_depth == 0 || _messageStart >= 0) { Failed = true; return; }
        _depth--;
        PatchSize(_open[_depth]);
    }

    /// <summary>Starts a message: an ASCII address ("/losses/loss") and its type tags (",f"; the comma is optional).</summary>
    public void BeginMessage(scoped ReadOnlySpan<char> address, scoped ReadOnlySpan<char> typeTags)
    {
        if (_messageStart >= 0 || (_depth == 0 && _length > 0) || address.Length == 0 || address[0] != '/') { Failed = true; return; }
        _messageStart = _depth > 0 ? ReserveSize() : -1;
        WriteAscii(address);
        if (typeTags.Length > 0 && typeTags[0] == ',') typeTags = typeTags[1..];
        WriteByte((byte)',');
        _tagStart = _length;
        _tagCount = typeTags.Length;
        _tagNext = 0;
        foreach (char c in typeTags) WriteByte(c < 128 ? (byte)c : (byte)'?');
        WriteByte(0);
        Pad();
        if (_messageStart < 0) _messageStart = int.MaxValue; // a bare message: nothing to patch, but open
    }

    public void EndMessage()
    {
        if (_messageStart < 0 || _tagNext != _tagCount) { Failed = true; return; }
        if (_messageStart != int.MaxValue) PatchSize(_messageStart);
        _messageStart = -1;
    }

    public void Int(int value) { if (Tag('i')) WriteUInt32((uint)value); }
    public void Float(float value) { if (Tag('f')) WriteUInt32(BitConverter.SingleToUInt32Bits(value)); }
    public void Long(long value) { if (Tag('h')) WriteUInt64((ulong)value); }
    public void Double(double value) { if (Tag('d')) WriteUInt64(BitConverter.DoubleToUInt64Bits(value)); }
    public void Time(OscTimeTag value) { if (Tag('t')) WriteUInt64(value.Value); }

    /// <summary>An ASCII string argument (characters above 127 become '?').</summary>
    public void String(scoped ReadOnlySpan<char> value)
    {
        if (!Tag('s')) return;
        WriteAscii(value);
    }

    public void Blob(scoped ReadOnlySpan<byte> value)
    {
        if (!Tag('b')) return;
        WriteUInt32((uint)value.Length);
        WriteBytes(value);
        Pad();
    }

    /// <summary>Arguments with no data (T, F, N, I): their tag is all there is.</summary>
    public void Flag(char tag)
    {
        if (tag is not ('T' or 'F' or 'N' or 'I')) { Failed = true; return; }
        Tag(tag);
    }

    private bool Tag(char expected)
    {
        if (Failed) return false;
        if (_messageStart < 0 || _tagNext >= _tagCount || _buffer[_tagStart + _tagNext] != expected) { Failed = true; return false; }
        _tagNext++;
        return true;
    }

    private int ReserveSize()
    {
        int at = _length;
        WriteUInt32(0);
        return at;
    }

    private void PatchSize(int at)
    {
        if (at < 0 || Failed) return;
        BinaryPrimitives.WriteInt32BigEndian(_buffer[at..], _length - at - 4);
    }

    private void WriteAscii(scoped ReadOnlySpan<char> text)
    {
        if (!Room(text.Length + 1)) return;
        for (int i = 0; i < text.Length; i++) _buffer[_length + i] = text[i] is > '\0' and < (char)128 ? (byte)text[i] : (byte)'?';
        _length += text.Length;
        _buffer[_length++] = 0;
        Pad();
    }

    private void WriteByte(byte b)
    {
        if (Room(1)) _buffer[_length++] = b;
    }

    private void WriteBytes(scoped ReadOnlySpan<byte> bytes)
    {
        if (!Room(bytes.Length)) return;
        bytes.CopyTo(_buffer[_length..]);
        _length += bytes.Length;
    }

    private void WriteUInt32(uint value)
    {
        if (!Room(4)) return;
        BinaryPrimitives.WriteUInt32BigEndian(_buffer[_length..], value);
        _length += 4;
    }

    private void WriteUInt64(ulong value)
    {
        if (!Room(8)) return;
        BinaryPrimitives.WriteUInt64BigEndian(_buffer[_length..], value);
        _length += 8;
    }

    /// <summary>Zeros up to the next multiple of 4 (OSC's alignment).</summary>
    private void Pad()
    {
        int pad = (4 - (_length & 3)) & 3;
        if (!Room(pad)) return;
        _buffer.Slice(_length, pad).Clear();
        _length += pad;
    }

    private bool Room(int bytes)
    {
        if (Failed) return false;
        if (_buffer.Length - _length >= bytes) return true;
        Failed = true;
        return false;
    }
}
