using OpenCvSharp;

namespace Losses.Visualiser.Video;

/// <summary>
/// A stand-in for the performer's video when there is no camera or file: slowly moving colour
/// fields, a grid and drifting discs — enough texture that both distortions are easy to see.
/// Deterministic in time, so an offline render is reproducible. The renderers draw it on the GPU
/// (visualiser/Shaders/pattern.frag, as the browser page does) at <see cref="Width"/>×<see cref="Height"/>
/// on the ticks of <see cref="Tick"/>; <see cref="Draw"/> is its CPU likeness for test videos and
/// the benchmark's camera.
/// </summary>
public sealed class GeneratedFeed : IVideoFeed
{
    private readonly Mat _image, _fitted = new();
    private readonly FrameFitter _fitter = new();
    private int _fitWidth, _fitHeight;
    private readonly int _width, _height;
    private long _shown = -1;

    public GeneratedFeed(int width, int height)
    {
        // Half resolution is plenty for a background and keeps the drawing cheap.
        _width = Math.Max(16, width / 2);
        _height = Math.Max(16, height / 2);
        _image = new Mat(_height, _width, MatType.CV_8UC4); // BGRA: see Texture
    }

    public string? Problem => null;

    /// <summary>The feed's size: half the frame's (plenty for a background, and cheap).</summary>
    public int Width => _width;
    public int Height => _height;

    /// <summary>The time of the 30 fps tick showing at <paramref name="seconds"/>; true when it is a new one since the last call.</summary>
    public bool Tick(double seconds, out float shown)
    {
        long tick = (long)Math.Floor(seconds * 30);
        shown = (float)(tick / 30.0);
        bool changed = tick != _shown;
        _shown = tick;
        return changed;
    }

    /// <summary>The CPU likeness at <paramref name="seconds"/>, fitted as a camera's image is (the renderers draw the pattern on the GPU instead).</summary>
    public Mat FrameAt(double seconds, out bool changed)
    {
        long tick = (long)Math.Floor(seconds * 30); // a 30 fps source
        changed = tick != _shown;
        if (changed)
        {
            Draw(_image, tick / 30.0);
            _fitter.Fit(_image, _fitted, _fitWidth, _fitHeight);
            _shown = tick;
        }
        return _fitted;
    }

    public void FitTo(int width, int height)
    {
        if (width == _fitWidth && height == _fitHeight) return;
        (_fitWidth, _fitHeight) = (width, height);
        _shown = -1;
    }

    /// <summary>Draws the pattern at time <paramref name="t"/> into a BGR or BGRA image (also used by the tests' videos).</summary>
    public static void Draw(Mat image, double t)
    {
        int w = image.Width, h = image.Height;
        int bands = 6;
        for (int i = 0; i < bands; i++)
        {
            double phase = t * 0.4 + i * 1.1;
            var colour = new Scalar(90 + 80 * Math.Sin(phase), 90 + 80 * Math.Sin(phase + 2.1), 90 + 80 * Math.Sin(phase + 4.2));
            Cv2.Rectangle(image, new Rect(i * w / bands, 0, w / bands + 1, h), colour, -1);
        }
        int step = Math.Max(8, h / 9);
        int shift = (int)(t * 20) % step;
        for (int x = shift; x < w; x += step) Cv2.Line(image, new Point(x, 0), new Point(x, h), new Scalar(235, 235, 235), 1);
        for (int y = shift; y < h; y += step) Cv2.Line(image, new Point(0, y), new Point(w, y), new Scalar(235, 235, 235), 1);
        for (int i = 0; i < 3; i++)
        {
            var centre = new Point(w * (0.5 + 0.35 * Math.Sin(t * (0.3 + 0.1 * i) + i)), h * (0.5 + 0.3 * Math.Cos(t * (0.25 + 0.07 * i) + 2 * i)));
            Cv2.Circle(image, centre, h / (5 + i), new Scalar(40 + 90 * i, 200 - 60 * i, 230), -1, LineTypes.AntiAlias);
        }
    }

    public void Dispose()
    {
        _image.Dispose();
        _fitted.Dispose();
        _fitter.Dispose();
    }
}
