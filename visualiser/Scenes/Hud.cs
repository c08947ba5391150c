using Losses.Visualiser.Graphics;
using OpenCvSharp;

namespace Losses.Visualiser.Scenes;

/// <summary>
/// Lines of text drawn with OpenCV's built-in Hershey font into an image that becomes a texture;
/// re-rendered only when the text changes. Used for the HUD and for one-line messages.
/// </summary>
public sealed class TextPanel : IDisposable
{
    private readonly Texture _texture;
    private string _text = "";
    private Mat? _image;

    public TextPanel(Gpu gpu) => _texture = gpu.LoadTexture();

    public int Width => _image?.Width ?? 0;
    public int Height => _image?.Height ?? 0;

    /// <summary>Sets the text (lines separated by '\n') at a scale for a frame <paramref name="frameHeight"/> pixels high.</summary>
    public void Set(string text, int frameHeight)
    {
        double scale = Math.Clamp(frameHeight / 1080.0, 0.35, 2) * 0.9;
        string key = $"{scale:F3}|{text}";
        if (key == _text) return;
        _text = key;
        string[] lines = text.Split('\n');
        const HersheyFonts font = HersheyFonts.HersheySimplex;
        int thickness = Math.Max(1, (int)Math.Round(scale * 1.6));
        int lineHeight = (int)Math.Ceiling(38 * scale);
        int pad = (int)Math.Ceiling(12 * scale);
        int width = 1;
        foreach (string line in lines) width = Math.Max(width, Cv2.GetTextSize(line, font, scale, thickness, out _).Width);
        _image?.Dispose();
        _image = new Mat(lines.Length * lineHeight + 2 * pad, width + 2 * pad, MatType.CV_8UC4, new Scalar(0, 0, 0, 150));
        for (int i = 0; i < lines.Length; i++)
            Cv2.PutText(_image, lines[i], new Point(pad, pad + (i + 1) * lineHeight - lineHeight / 4), font, scale, new Scalar(255, 255, 255, 255), thickness, LineTypes.AntiAlias);
        _texture.Upload(_image.Width, _image.Height, 4, _image.Data, _image.Step());
    }

    public void Draw(Gpu gpu, float x, float y)
    {
        if (_image is not null) gpu.DrawImage(_texture, x, y, _image.Width, _image.Height);
    }

    public void Dispose()
    {
        _image?.Dispose();
        _texture.Dispose();
    }
}
