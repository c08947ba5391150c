using OpenCvSharp;

namespace Losses.Visualiser.Video;

/// <summary>
/// Turns a camera's or a file's image into what the video texture takes as a plain copy: RGBA rows
/// at the frame's size, bottom row first (OpenGL's order, so the plain video is a straight copy into
/// the frame: <see cref="Graphics.Gpu.DrawVideo"/>), cropped to the frame's aspect as
/// <see cref="Scenes.Distortions.Cover"/> crops and scaled bilinearly (OpenCV's resize, the picture the GPU's bilinear scaling draws), on the
/// feed's thread. Sampled 1:1, every pass over the video costs llvmpipe about half of what a scaled
/// bilinear sample costs, and an RGBA upload is a copy where a BGRA one is swizzled pixel by pixel
/// (1080p: 0.3 against 3.6 ms on the render thread); the resize costs 3–4 ms of CPU per camera
/// image (docs/visualiser.md, "1920×1080"). Its buffers are reused: nothing is allocated per image
/// once the sizes settle.
/// </summary>
public sealed class FrameFitter : IDisposable
{
    private readonly Mat _rgba = new(), _resized = new();
    private Mat? _crop;
    private Rect _cropRect;
    private nint _cropSource;

    /// <summary>
    /// Writes <paramref name="image"/> (8-bit grey, BGR or BGRA) into <paramref name="output"/> as
    /// RGBA of <paramref name="width"/>×<paramref name="height"/>, bottom row first; with a size ≤ 0 at
    /// the image's own size.
    /// </summary>
    public void Fit(Mat image, Mat output, int width, int height)
    {
        ColorConversionCodes code = image.Channels() switch
        {
            1 => ColorConversionCodes.GRAY2RGBA,
            3 => ColorConversionCodes.BGR2RGBA,
            4 => ColorConversionCodes.BGRA2RGBA,
            int n => throw new VisualiserException($"video frames with {n} channels are not supported (8-bit BGR expected)"),
        };
        if (image.Depth() != MatType.CV_8U) throw new VisualiserException($"video frames of type {image.Type()} are not supported (8-bit BGR expected)");
        if (width <= 0 || height <= 0 || (image.Width == width && image.Height == height))
        {
            Cv2.CvtColor(image, _rgba, code);
            Cv2.Flip(_rgba, output, FlipMode.X);
            return;
        }
        // Converted at the camera's size (fewer pixels), then cropped and scaled.
        Cv2.CvtColor(image, _rgba, code);
        Rect crop = Crop(image.Width, image.Height, width, height);
        Mat source = _rgba;
        if (crop.Width != image.Width || crop.Height != image.Height)
        {
            if (_crop is null || crop != _cropRect || _cropSource != _rgba.Data)
            {
                _crop?.Dispose();
                _crop = new Mat(_rgba, crop);
                (_cropRect, _cropSource) = (crop, _rgba.Data);
            }
            source = _crop;
        }
        Cv2.Resize(source, _resized, new Size(width, height), 0, 0, InterpolationFlags.Linear);
        Cv2.Flip(_resized, output, FlipMode.X);
    }

    /// <summary>
    /// The part of a <paramref name="videoWidth"/>×<paramref name="videoHeight"/> image that covers a
    /// frame of the other size's aspect, centred, in whole pixels: where the margin is odd it is half a
    /// camera pixel off the GPU's crop (a 4:3 camera into 16:9 at the usual sizes has even margins).
    /// </summary>
    public static Rect Crop(int videoWidth, int videoHeight, int width, int height)
    {
        if ((long)videoWidth * height > (long)width * videoHeight)
        {
            int w = (int)Math.Max(1, Math.Round((double)videoHeight * width / height));
            return new Rect((videoWidth - w) / 2, 0, w, videoHeight);
        }
        int h = (int)Math.Max(1, Math.Round((double)videoWidth * height / width));
        return new Rect(0, (videoHeight - h) / 2, videoWidth, h);
    }

    public void Dispose()
    {
        _crop?.Dispose();
        _rgba.Dispose();
        _resized.Dispose();
    }
}
