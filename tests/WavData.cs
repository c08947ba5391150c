using System.Buffers.Binary;
using System.Text;

namespace Losses.Tests;

/// <summary>A WAV file read back (what the tests compare): 16-bit PCM or 32-bit float, any channel count.</summary>
public sealed class WavData
{
    public required int SampleRate { get; init; }
    public required int Channels { get; init; }
    /// <summary>Samples per channel.</summary>
    public required float[][] Samples { get; init; }
    public int Frames => Samples[0].Length;

    public static WavData Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 12 || Encoding.ASCII.GetString(bytes, 0, 4) != "RIFF" || Encoding.ASCII.GetString(bytes, 8, 4) != "WAVE")
            throw new InvalidDataException($"{path}: not a WAV file");
        int format = 0, channels = 0, rate = 0, bits = 0;
        int pos = 12;
        while (pos + 8 <= bytes.Length)
        {
            string id = Encoding.ASCII.GetString(bytes, pos, 4);
            int size = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 4));
            int body = pos + 8;
            if (size < 0 || body + size > bytes.Length) throw new InvalidDataException($"{path}: chunk '{id}' runs past the end");
            if (id == "fmt ")
            {
                format = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(body));
                channels = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(body + 2));
                rate = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(body + 4));
                bits = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(body + 14));
            }
            else if (id == "data")
            {
                if (channels == 0) throw new InvalidDataException($"{path}: data before fmt");
                int bytesPerSample = bits / 8;
                int frames = size / (bytesPerSample * channels);
                var samples = new float[channels][];
                for (int c = 0; c < channels; c++) samples[c] = new float[frames];
                for (int f = 0; f < frames; f++)
                {
                    for (int c = 0; c < channels; c++)
                    {
                        int at = body + (f * channels + c) * bytesPerSample;
                        samples[c][f] = (format, bits) switch
                        {
                            (3, 32) => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at)),
                            (1, 16) => BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(at)) / 32768f,
                            _ => throw new InvalidDataException($"{path}: unsupported WAV format {format}/{bits} bits"),
                        };
                    }
                }
                return new WavData { SampleRate = rate, Channels = channels, Samples = samples };
            }
            pos = body + size + (size & 1);
        }
        throw new InvalidDataException($"{path}: no data chunk");
    }
}
