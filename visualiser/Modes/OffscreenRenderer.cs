using Losses.Platform;
using Losses.Visualiser.Graphics;
using Losses.Visualiser.Native;
using Losses.Visualiser.Scenes;
using Losses.Visualiser.Video;
using OpenCvSharp;
using StbImageWriteSharp;

namespace Losses.Visualiser.Modes;

/// <summary>
/// The stage drawn headless (EGL surfaceless, llvmpipe without a GPU) into a framebuffer of a
/// fixed size and read back as a BGR image: offline renders, the benchmark and the tests. Lives
/// on the thread that created it (a GL context is current on one thread).
/// </summary>
public sealed class OffscreenRenderer : IDisposable
{
    private readonly EglContext _egl;
    private readonly RenderTarget _target;
    private readonly Texture _video;
    private readonly byte[] _scratch;
    private bool _hasVideo;

    private OffscreenRenderer(EglContext egl, int width, int height)
    {
        _egl = egl;
        Width = width;
        Height = height;
        Gpu = new Gpu(EglContext.GetProcAddress);
        _target = Gpu.LoadRenderTarget(width, height);
        _video = Gpu.LoadTexture();
        Stage = new Stage(Gpu);
        Image = new Mat(height, width, MatType.CV_8UC3);
        _scratch = new byte[width * height * 3];
    }

    public static OffscreenRenderer Create(int width, int height) => new(EglContext.Create(), width, height);

    public int Width { get; }
    public int Height { get; }
    public Gpu Gpu { get; }
    public Stage Stage { get; }
    /// <summary>The last frame read back (BGR, top row first).</summary>
    public Mat Image { get; }

    /// <summary>
    /// Uploads the video image to show, BGR or BGRA rows top row first, or a <see cref="FrameFitter"/>'s
    /// image when <paramref name="fitted"/> (null: no video, a black background).
    /// </summary>
    public void SetVideo(Mat? image, bool changed = true, bool fitted = false)
    {
        _hasVideo = image is not null && !image.Empty();
        if (_hasVideo && changed) Upload(_video, image!, fitted);
    }

    /// <summary>Shows the feed's image at <paramref name="seconds"/>: the generated one drawn on the GPU, any other uploaded when new.</summary>
    public void SetVideo(IVideoFeed feed, double seconds)
    {
        _egl.MakeCurrent();
        if (feed is GeneratedFeed generated)
        {
            if (generated.Tick(seconds, out float shown) || !_hasVideo) Gpu.DrawPattern(_video, generated.Width, generated.Height, shown);
            _hasVideo = true;
            return;
        }
        (int fitWidth, int fitHeight) = Stage.Options.FitVideoTo(Width, Height);
        feed.FitTo(fitWidth, fitHeight);
        SetVideo(feed.FrameAt(seconds, out bool changed), changed, fitted: true);
    }

    /// <summary>Uploads BGR or BGRA rows top row first, or when <paramref name="fitted"/> a <see cref="FrameFitter"/>'s RGBA rows, bottom row first.</summary>
    internal static void Upload(Texture texture, Mat image, bool fitted = false)
    {
        if (image.Type() != MatType.CV_8UC3 && image.Type() != MatType.CV_8UC4) throw new VisualiserException($"video frames of type {image.Type()} are not supported (8-bit BGR expected)");
        texture.Upload(image.Width, image.Height, image.Channels(), image.Data, image.Step(), rgba: fitted, bottomUp: fitted);
    }

    /// <summary>Draws the state at <paramref name="now"/> and waits for the GPU to finish.</summary>
    public void Draw(VisualState state, double now)
    {
        _egl.MakeCurrent();
        _target.Bind();
        Stage.Draw(state, now, _hasVideo ? _video : null, Width, Height);
        Gpu.Finish();
    }

    /// <summary>Reads the drawn frame back into <see cref="Image"/>.</summary>
    public unsafe Mat Read()
    {
        var pixels = new Span<byte>((void*)Image.Data, Width * Height * 3);
        Gpu.ReadPixels(pixels, _scratch);
        return Image;
    }

    /// <summary>Writes the last frame read back as a PNG.</summary>
    public void SavePng(string path) => SavePng(Image, path);

    public static unsafe void SavePng(Mat bgr, string path)
    {
        using var rgb = new Mat();
        Cv2.CvtColor(bgr, rgb, ColorConversionCodes.BGR2RGB);
        byte[] data = new byte[rgb.Width * rgb.Height * 3];
        new Span<byte>((void*)rgb.Data, data.Length).CopyTo(data);
        using var file = new Losses.Platform.PendingFile(path);
        new ImageWriter().WritePng(data, rgb.Width, rgb.Height, ColorComponents.RedGreenBlue, file.Stream);
        file.Commit();
    }

    public void Dispose()
    {
        _egl.MakeCurrent();
        Stage.Dispose();
        _video.Dispose();
        _target.Dispose();
        Gpu.Dispose();
        Image.Dispose();
        _egl.Dispose();
    }
}
