using System.Text;

namespace Losses.Bench.Web;

/// <summary>A .y4m file, what Chromium's fake camera plays (--use-file-for-fake-video-capture): grey images, 4:2:0, looped by the browser.</summary>
public static class FakeCamera
{
    /// <summary>Writes <paramref name="frames"/> frames at 30 fps; <paramref name="luma"/> fills frame k's luma plane (width × height bytes).</summary>
    public static string Write(string path, int width, int height, int frames, Action<int, byte[]> luma)
    {
        using var file = File.Create(path);
        file.Write(Encoding.ASCII.GetBytes($"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n"));
        var y = new byte[width * height];
        var chroma = new byte[width / 2 * (height / 2)];
        Array.Fill(chroma, (byte)128);
        for (int k = 0; k < frames; k++)
        {
            luma(k, y);
            file.Write("FRAME\n"u8);
            file.Write(y);
            file.Write(chroma);
            file.Write(chroma);
        }
        return path;
    }
}
