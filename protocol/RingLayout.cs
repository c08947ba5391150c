namespace Losses.Protocol;

/// <summary>
/// Where everything lives in the shared-memory frame ring. One writer (the engine), any number
/// of readers, none of which ever writes to the mapping.
/// <code>
///  0                                                             128
///  +------------------------------------------------------------+
///  | Magic "LOSSRING" | LayoutVersion | FrameSize | Capacity      |  header: written once by the writer
///  | SlotSize | State | Generation | WriterPid | StartedUnixMs    |  (Magic last, so a reader never
///  +------------------------------------------------------------+   trusts a half-made header)
/// 128 | WritePosition (long)  ... padding to 256                   |  writer counter, alone on its lines
/// 256 | Heartbeat (long, writer's Stopwatch ms) ... to 384         |  writer counter, alone on its lines
/// 384 +------------------------------------------------------------+
///     | slot 0: Sequence (long) | pad | Frame (FrameSize bytes)    |  SlotSize bytes, a multiple of 64
///     | slot 1 …                                                   |
///     | slot Capacity−1                                            |
///     +------------------------------------------------------------+
/// </code>
/// Position p (ever-increasing, 64-bit) lives in slot p &amp; (Capacity − 1). A slot's Sequence is
/// 2p+1 while the writer fills it with frame p and 2p+2 once frame p is complete (a seqlock):
/// a reader accepts frame p only if Sequence is 2p+2 before and after its copy.
/// <para>
/// The file (Unix) is opened without following a link and must be this user's, mode 0600; the
/// one writer holds flock(LOCK_EX) on it for its run (WriterPid names it to a second engine) and
/// makes it 0400 and append-only meanwhile, so nothing truncates it under the mappings. The
/// Heartbeat moves while frames flow (the writer's watchdog thread); a reader seeing it older than
/// <see cref="FrameRingReader.StallMs"/> on a live ring says the engine stopped.
/// </para>
/// </summary>
public static class RingLayout
{
    public const ulong Magic = 0x474E49525353_4F4CUL; // "LOSSRING" read as little-endian bytes
    public const int Version = 1;

    public const int MagicOffset = 0;
    public const int LayoutVersionOffset = 8;
    public const int FrameSizeOffset = 12;
    public const int CapacityOffset = 16;
    public const int SlotSizeOffset = 20;
    public const int StateOffset = 24;
    public const int GenerationOffset = 32;
    public const int WriterPidOffset = 40;
    public const int StartedUnixMsOffset = 48;

    // Writer counters two cache lines (128 bytes) from anything else: no false sharing with the
    // header readers poll, nor with slot 0, even with adjacent-line prefetch.
    public const int WritePositionOffset = 128;
    public const int HeartbeatOffset = 256;
    public const int SlotsOffset = 384;

    public const int SlotSequenceOffset = 0;
    public const int SlotFrameOffset = 16;

    public const int StateLive = 1;
    public const int StateClosed = 2;

    public const int MinCapacity = 2;
    public const int MaxCapacity = 1 << 20;
    public const int DefaultCapacity = 4096;

    public static int SlotSize(int frameSize) => (SlotFrameOffset + frameSize + 63) / 64 * 64;

    public static long FileSize(int capacity, int frameSize) => SlotsOffset + (long)capacity * SlotSize(frameSize);

    /// <summary>Where a ring of this name lives: a file under /dev/shm on Linux (mode 0600), a named map on Windows.</summary>
    public static string PathFor(string name) => OperatingSystem.IsWindows()
        ? $"Local\\losses-{name}"
        : Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath(), $"losses-{name}.ring");

    /// <summary>What a ring name may be, as every error about one says it.</summary>
    public const string NameRule = "letters, digits, '-', '_' or '.', at most 64, not starting with '.'";

    /// <summary>Why <paramref name="name"/> cannot name a ring (one line), or null when it can.</summary>
    public static string? NameProblem(string name) => IsValidName(name) ? null : $"'{name}' is not a valid ring name ({NameRule})";

    /// <summary>Ring names become file names: letters, digits, '-', '_' and '.' only.</summary>
    public static bool IsValidName(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && name[0] != '.';
}

/// <summary>Shared memory that is not a ring we can read: one line saying what is wrong.</summary>
public sealed class RingException(string message) : Exception(message);
