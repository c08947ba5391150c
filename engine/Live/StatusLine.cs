using System.Globalization;
using Losses.Engine.Audio;

namespace Losses.Engine.Live;

/// <summary>One status line, formatted into a preallocated buffer (no allocation while live).</summary>
internal sealed class StatusLine
{
    private readonly char[] _buffer = new char[160];
    private long _lastMs;

    public void Show(LossesProcessor p, LiveCore core, long xruns, long frames)
    {
        long now = Environment.TickCount64;
        if (now - _lastMs < 200) return;
        _lastMs = now;
        Span<char> b = _buffer;
        int n = 0;
        Append(b, ref n, "\rpart ");
        p.Piece.Part.TryFormat(b[n..], out int w, default, CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "  voices ");
        p.Voices.ActiveVoices.TryFormat(b[n..], out w, "000", CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "  loss ");
        p.Piece.Loss.TryFormat(b[n..], out w, "0.000000", CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "  dsp ");
        (core.Meter.Last * 100).TryFormat(b[n..], out w, "00.0", CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "%  xruns ");
        xruns.TryFormat(b[n..], out w, default, CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "  frames ");
        frames.TryFormat(b[n..], out w, default, CultureInfo.InvariantCulture); n += w;
        Append(b, ref n, "   ");
        Console.Error.Write(_buffer, 0, n);
    }

    public void Clear() => Console.Error.WriteLine();

    private static void Append(Span<char> b, ref int n, string s)
    {
        s.AsSpan().CopyTo(b[n..]);
        n += s.Length;
    }
}
