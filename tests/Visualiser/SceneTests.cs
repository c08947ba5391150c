using System.Numerics;
using Losses.Protocol;
using Losses.Tests.Cli;
using Losses.Visualiser.Modes;
using Losses.Visualiser.Scenes;
using OpenCvSharp;

namespace Losses.Tests.Visualiser;

/// <summary>
/// Frames drawn headless (EGL surfaceless, Mesa llvmpipe), written to PNG and read back: the
/// curves sit where the parameters put them, and the distortions move the pixels they should.
/// </summary>
public sealed class SceneTests
{
    private const int W = 320, H = 180;
    private static readonly float[] NoGradient = [0, 0, 0, 0];

    private static Mat Draw(OffscreenRenderer r, VisualState state, double now, string png)
    {
        r.Draw(state, now);
        Mat image = r.Read();
        r.SavePng(Path.Combine(EngineCli.TempDir(), png)); // to look at when a test fails
        return image;
    }

    private static bool Near(Mat image, Vector2 p, int radius, Func<Vec3b, bool> test) => VisualiserKit.Near(image, p, radius, test);

    // Where the scenes should draw, worked out here from the layout they promise (not with their own maths).

    /// <summary>
    /// Cubic view: x in ±1.05 and f(x) in ±3 span the middle 90% of the frame (x to the right, f up),
    /// so a point lands 0.45·W·x/1.05 right of the centre and 0.45·H·f/3 above it.
    /// </summary>
    private static Vector2 CubicPixel(float[] c, double x)
    {
        double f = c[0] * x * x * x + c[1] * x * x + c[2] * x + c[3];
        return new Vector2((float)(W / 2.0 + 0.45 * W * x / 1.05), (float)(H / 2.0 - 0.45 * H * f / 3));
    }

    /// <summary>
    /// Knot view: g(t) = (cos(n₁t + φ₁), cos(n₂t + φ₂), cos(n₃t + φ₃)) turned by the orbit (0.35 rad/s
    /// about the vertical axis), tilted 0.45 rad about the horizontal one, seen from 4 units away with
    /// a focal length that puts a point 1.2 units in front of the centre at 0.42·H from it.
    /// </summary>
    private static Vector2 KnotPixel((int, int, int) n, float[] phase, double t, double now)
    {
        double x = Math.Cos(n.Item1 * t + phase[0]), y = Math.Cos(n.Item2 * t + phase[1]), z = Math.Cos(n.Item3 * t + phase[2]);
        double orbit = now * 0.35, tilt = 0.45;
        double x1 = x * Math.Cos(orbit) + z * Math.Sin(orbit), z1 = -x * Math.Sin(orbit) + z * Math.Cos(orbit);
        double y2 = y * Math.Cos(tilt) - z1 * Math.Sin(tilt), z2 = y * Math.Sin(tilt) + z1 * Math.Cos(tilt);
        double focal = 0.42 * H * (4 - 1.2), depth = 4 - z2;
        return new Vector2((float)(W / 2.0 + x1 * focal / depth), (float)(H / 2.0 - y2 * focal / depth));
    }

    private static bool White(Vec3b c) => c.Item0 > 200 && c.Item1 > 200 && c.Item2 > 200;
    private static bool Red(Vec3b c) => c.Item2 > 200 && c.Item1 < 110 && c.Item0 < 110;
    private static bool Black(Vec3b c) => c.Item0 < 10 && c.Item1 < 10 && c.Item2 < 10;

    [Fact]
    public void CubicTargetIsWhiteAndLearnedIsRedWhereTheCoefficientsPutThem()
    {
        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        var state = new VisualState();
        float[] target = [0.9f, -0.2f, -0.5f, 0.6f], theta = [-0.6f, 0.4f, 0.3f, -0.7f];
        Frame f = SampleFrames.Cubic(1, target, theta, NoGradient, 1.0, points: 0);
        state.Apply(f);
        Mat image = Draw(r, state, 1.0, "cubic.png");

        int checkedPoints = 0;
        for (float x = -0.95f; x < 1; x += 0.1f)
        {
            Vector2 t = CubicPixel(target, x);
            Vector2 l = CubicPixel(theta, x);
            if (Vector2.Distance(t, l) < 12) continue; // where the curves cross, red covers white
            checkedPoints++;
            Assert.True(Near(image, t, 2, White), $"no white target pixel near {t} (x = {x})");
            Assert.True(Near(image, l, 2, Red), $"no red learned pixel near {l} (x = {x})");
            // Half-way between the curves there is nothing.
            Assert.True(Black(VisualiserKit.Pixel(image, (int)((t.X + l.X) / 2), (int)((t.Y + l.Y) / 2))));
        }
        Assert.True(checkedPoints >= 12, $"only {checkedPoints} places to check");

        // The curves span x = −1..1 and nothing else is drawn: the lit columns end where x = ±1 land.
        int[] lit = Enumerable.Range(0, W).Where(c => Enumerable.Range(0, H).Any(y => !Black(VisualiserKit.Pixel(image, c, y)))).ToArray();
        Assert.InRange(lit[0], CubicPixel(target, -1).X - 3, CubicPixel(target, -1).X + 3);
        Assert.InRange(lit[^1], CubicPixel(target, 1).X - 3, CubicPixel(target, 1).X + 3);
    }

    [Fact]
    public void CubicSamplePointsSitOnBothCurves()
    {
        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        var state = new VisualState();
        float[] target = [0.5f, 0.5f, -0.5f, 0.8f], theta = [0, 0, 0, -0.8f];
        Frame f = SampleFrames.Cubic(1, target, theta, NoGradient, 1.0, points: 6);
        state.Apply(f);
        Mat image = Draw(r, state, 1.0, "points.png");
        for (int i = 0; i < f.PointCount; i++)
        {
            float x = f.Points[i];
            Assert.True(Near(image, CubicPixel(target, x), 1, White));
            Assert.True(Near(image, CubicPixel(theta, x), 1, Red));
        }
    }

    [Fact]
    public void ANewCubicTargetLeavesTheOldCurvesToLingerAndFade()
    {
        var state = new VisualState();
        state.Apply(SampleFrames.Cubic(1, [1, 0, 0, 0], [0, 0, 0, 0], NoGradient, 1.0, cubicTargets: 1));
        state.Apply(SampleFrames.Cubic(1, [0, 1, 0, 0], [0, 0, 0, 0], NoGradient, 2.0, cubicTargets: 2));
        Assert.Single(state.Lingering);
        Assert.Equal(1f, state.Lingering[0].Target[0]);
        state.Expire(2.0 + VisualState.LingerSeconds + 0.1);
        Assert.Empty(state.Lingering);
    }

    [Fact]
    public void KnotsAreDrawnInPerspectiveWhereTheirPhasesPutThem()
    {
        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        var state = new VisualState();
        float[] target = [0.1f, 0.6f, 0.9f], theta = [0.9f, 0.1f, 0.3f];
        Frame f = SampleFrames.Knot(2, (2, 3, 5), target, theta, NoGradient, 2.0);
        state.Apply(f);
        const double now = 2.0;
        Mat image = Draw(r, state, now, "knot.png");
        int whiteHits = 0, redHits = 0, samples = 0;
        for (int i = 0; i < 60; i++)
        {
            double t = 2 * Math.PI * i / 60;
            samples++;
            if (Near(image, KnotPixel((2, 3, 5), target, t, now), 2, White)) whiteHits++;
            if (Near(image, KnotPixel((2, 3, 5), theta, t, now), 2, Red)) redHits++;
        }
        // The red curve is drawn last and may hide a few white points where they cross.
        Assert.True(whiteHits >= samples * 0.8, $"{whiteHits}/{samples} target points white");
        Assert.True(redHits >= samples * 0.95, $"{redHits}/{samples} learned points red");

        // It orbits: another time, another picture.
        Mat later = Draw(r, state, now + 3, "knot-later.png").Clone();
        Draw(r, state, now, "knot-again.png");
        Assert.True(Cv2.Norm(later, r.Image, NormTypes.L1) > 0);
    }

    private static Mat Pattern(int seed)
    {
        var image = new Mat(H, W, MatType.CV_8UC4);
        var random = new Random(seed);
        byte[] noise = new byte[W * H * 4];
        random.NextBytes(noise);
        for (int i = 3; i < noise.Length; i += 4) noise[i] = 255;
        System.Runtime.InteropServices.Marshal.Copy(noise, 0, image.Data, noise.Length);
        Cv2.GaussianBlur(image, image, new Size(5, 5), 1.2); // texture at every scale, no flat areas
        return image;
    }

    private static Mat Bgr(Mat bgra)
    {
        var bgr = new Mat();
        Cv2.CvtColor(bgra, bgr, ColorConversionCodes.BGRA2BGR);
        return bgr;
    }

    [Fact]
    public void DistortionOneWithZeroGradientsLeavesTheVideoUntouched()
    {
        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        r.Stage.Options.Overlay = false;
        using Mat video = Pattern(3);
        r.SetVideo(video);
        var state = new VisualState();
        state.Apply(SampleFrames.Knot(3, (2, 3, 5), [0.1f, 0.6f, 0.9f], [0.1f, 0.6f, 0.9f], NoGradient, 1.0));
        Mat image = Draw(r, state, 1.0, "d1-zero.png");
        using Mat expected = Bgr(video);
        using var diff = new Mat();
        Cv2.Absdiff(image, expected, diff);
        diff.MinMaxLoc(out double _, out double max);
        Assert.True(max <= 1, $"largest difference {max}");
    }

    [Fact]
    public void A_camera_smaller_than_the_frame_fills_it_as_a_bilinear_resize_does()
    {
        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        r.Stage.Options.Overlay = false;
        using Mat full = Pattern(4);
        using var camera = new Mat();
        Cv2.Resize(full, camera, new Size(W / 2, H / 2), interpolation: InterpolationFlags.Area); // a half-size feed
        r.SetVideo(camera);
        var state = new VisualState();
        state.Apply(SampleFrames.Knot(3, (2, 3, 5), [0.1f, 0.6f, 0.9f], [0.1f, 0.6f, 0.9f], NoGradient, 1.0));
        Mat image = Draw(r, state, 1.0, "d1-scaled.png");

        // OpenCV's own bilinear resize (pixel centres at +½, as GL's) is the expected picture; the
        // outermost pixels are left out (GL blends the black border there, OpenCV repeats the edge).
        using var resized = new Mat();
        Cv2.Resize(camera, resized, new Size(W, H), interpolation: InterpolationFlags.Linear);
        using Mat expected = Bgr(resized);
        using var diff = new Mat();
        Cv2.Absdiff(image[new Rect(1, 1, W - 2, H - 2)], expected[new Rect(1, 1, W - 2, H - 2)], diff);
        diff.MinMaxLoc(out double _, out double max);
        Assert.True(max <= 2, $"largest difference {max}");
    }

    [Theory]
    [InlineData(W / 2, H / 2)] // a smaller camera of the frame's aspect
    [InlineData(160, 120)]     // 4:3: its middle 160×90 fills the 16:9 frame
    [InlineData(W, 240)]       // taller still: its middle 320×180, not scaled
    [InlineData(640, 180)]     // wider, and larger than the frame: its middle 320×180
    public void A_camera_image_fitted_on_the_feed_side_draws_the_picture_the_GPU_scaling_draws(int cameraWidth, int cameraHeight)
    {
        // The feeds hand over images fitted to the frame (cropped to its aspect and resized by OpenCV,
        // RGBA): the same picture as the camera's own image scaled by the GPU (Distortions.Cover).
        // The crop is in whole camera pixels: these margins are even (an odd one is half a pixel off).
        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        r.Stage.Options.Overlay = false;
        using Mat full = Pattern(6);
        using var camera = new Mat();
        Cv2.Resize(full, camera, new Size(cameraWidth, cameraHeight), interpolation: InterpolationFlags.Area);
        var state = new VisualState();
        state.Apply(SampleFrames.Knot(3, (2, 3, 5), [0.1f, 0.6f, 0.9f], [0.1f, 0.6f, 0.9f], NoGradient, 1.0));
        r.SetVideo(camera);
        using Mat scaledByGpu = Draw(r, state, 1.0, "fit-gpu.png").Clone();

        using var fitter = new Losses.Visualiser.Video.FrameFitter();
        using var fitted = new Mat();
        using Mat bgr = Bgr(camera);
        fitter.Fit(bgr, fitted, W, H);
        Assert.Equal((W, H, 4), (fitted.Width, fitted.Height, fitted.Channels()));
        r.SetVideo(fitted, fitted: true);
        Mat image = Draw(r, state, 1.0, "fit-feed.png");

        using var diff = new Mat();
        Cv2.Absdiff(image[new Rect(1, 1, W - 2, H - 2)], scaledByGpu[new Rect(1, 1, W - 2, H - 2)], diff);
        diff.MinMaxLoc(out double _, out double max);
        Assert.True(max <= 2, $"largest difference {max}");
    }

    [Fact]
    public void A_video_read_on_its_own_thread_arrives_fitted_to_the_frame_in_its_own_colours()
    {
        // The live path: CaptureFeed's thread fits each image (a file stands in for the camera).
        string path = WriteHalvesVideo("fit-thread.avi", 30);
        using var feed = Losses.Visualiser.Video.CaptureFeed.File(path);
        feed.FitTo(W, H);
        Mat? image = null;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (image is null && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            Mat? m = feed.FrameAt(0, out _);
            if (m is { Width: W }) image = m;
            else Thread.Sleep(10);
        }
        Assert.NotNull(image);
        Assert.Equal((W, H, 4), (image.Width, image.Height, image.Channels()));
        Vec4b left = image.At<Vec4b>(H / 2, W / 4), right = image.At<Vec4b>(H / 2, 3 * W / 4);
        Assert.True(left.Item0 > 200 && left.Item2 < 60, $"left {left}"); // RGBA: red
        Assert.True(right.Item2 > 200 && right.Item0 < 60, $"right {right}");
    }

    [Fact]
    public void Nearest_video_sampling_repeats_the_cameras_pixels_and_the_feed_keeps_its_size()
    {
        // --video-sampling nearest: the feed hands over the camera's own size (no resize on its
        // thread) and the GPU repeats its pixels: OpenCV's nearest resize, exactly.
        string path = Path.Combine(EngineCli.TempDir(), "nearest.avi");
        using Mat full = Pattern(8);
        using var camera = new Mat();
        Cv2.Resize(Bgr(full), camera, new Size(W / 2, H / 2), interpolation: InterpolationFlags.Area);
        using (var writer = new VideoWriter(path, FourCC.MJPG, 30, camera.Size()))
            writer.Write(camera);
        using var feed = new Losses.Visualiser.Video.FileFrames(path);
        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        r.Stage.Options.Overlay = false;
        r.Stage.Options.VideoSampling = VideoSampling.Nearest;
        r.SetVideo(feed, 0.0);
        Mat? shown = feed.FrameAt(0.0, out _);
        Assert.NotNull(shown);
        Assert.Equal((W / 2, H / 2), (shown.Width, shown.Height));
        using var decoded = new Mat();
        Cv2.CvtColor(shown, decoded, ColorConversionCodes.RGBA2BGR);
        Cv2.Flip(decoded, decoded, FlipMode.X); // the camera's image as decoded (the feed hands rows bottom first)
        var state = new VisualState();
        state.Apply(SampleFrames.Knot(3, (2, 3, 5), [0.1f, 0.6f, 0.9f], [0.1f, 0.6f, 0.9f], NoGradient, 0.0));
        Mat image = Draw(r, state, 0.0, "nearest.png");
        using var expected = new Mat();
        Cv2.Resize(decoded, expected, new Size(W, H), interpolation: InterpolationFlags.Nearest);
        using var diff = new Mat();
        Cv2.Absdiff(image, expected, diff);
        diff.MinMaxLoc(out double _, out double max);
        Assert.Equal(0, max);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void A_video_frame_is_not_cleared_first_and_keeps_nothing_of_the_frame_before(int part)
    {
        // Parts 3 and 4 skip the clear (the video covers every pixel): a white frame drawn before must
        // leave no trace, not even where the planes bring black in from outside the image.
        float[] gradient = [0.1f, -0.1f, 0.1f, 0];
        Frame Video(double now)
        {
            if (part == 3) return SampleFrames.Knot(3, (2, 3, 5), [0.1f, 0.6f, 0.9f], [0.1f, 0.6f, 0.9f], gradient, now);
            Frame f = SampleFrames.Cubic(4, [0.5f, 0, 0, 0], [0, 0, 0, 0], gradient, now);
            SampleFrames.Press(ref f, 72, now - 0.1);
            return f;
        }
        using Mat video = Pattern(7);
        using OffscreenRenderer fresh = OffscreenRenderer.Create(W, H);
        fresh.Stage.Options.Overlay = false;
        fresh.SetVideo(video);
        var state = new VisualState();
        state.Apply(Video(1.0));
        using Mat expected = Draw(fresh, state, 1.0, $"noclear-{part}-fresh.png").Clone();

        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        r.Stage.Options.Overlay = false;
        using (var white = new Mat(H, W, MatType.CV_8UC4, Scalar.All(255)))
        using (Losses.Visualiser.Graphics.Texture paint = r.Gpu.LoadTexture())
        {
            var before = new VisualState();
            before.Apply(SampleFrames.Knot(2, (2, 3, 5), [0.1f, 0.6f, 0.9f], [0.1f, 0.6f, 0.9f], NoGradient, 0.5));
            r.Draw(before, 0.5);
            paint.Upload(W, H, 4, white.Data, white.Step());
            r.Gpu.DrawImage(paint, 0, 0, W, H); // the whole frame white, as no part draws it
            Assert.Equal(255, VisualiserKit.Pixel(r.Read(), 0, 0).Item0);
        }
        r.SetVideo(video);
        var after = new VisualState();
        after.Apply(Video(1.0));
        Mat image = Draw(r, after, 1.0, $"noclear-{part}.png");
        using var diff = new Mat();
        Cv2.Absdiff(image, expected, diff);
        diff.MinMaxLoc(out double _, out double max);
        Assert.Equal(0, max);
    }

    /// <summary>A half-size MJPG video, left half red and right half blue (BGR), <paramref name="frames"/> frames long.</summary>
    private static string WriteHalvesVideo(string name, int frames)
    {
        string path = Path.Combine(EngineCli.TempDir(), name);
        using var writer = new VideoWriter(path, FourCC.MJPG, 30, new Size(W / 2, H / 2));
        using var frame = new Mat(H / 2, W / 2, MatType.CV_8UC3, new Scalar(255, 0, 0));
        Cv2.Rectangle(frame, new Rect(0, 0, W / 4, H / 2), new Scalar(0, 0, 255), -1);
        for (int i = 0; i < frames; i++) writer.Write(frame);
        return path;
    }

    [Fact]
    public void A_video_file_smaller_than_the_frame_arrives_at_the_frame_size_in_its_own_colours()
    {
        // Left half red, right half blue: a swapped channel order would show blue on the left.
        string path = WriteHalvesVideo("fit-halves.avi", 3);
        using var feed = new Losses.Visualiser.Video.FileFrames(path);
        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        r.Stage.Options.Overlay = false;
        r.SetVideo(feed, 0.0);
        Mat? shown = feed.FrameAt(0.0, out _);
        Assert.NotNull(shown);
        Assert.Equal((W, H, 4), (shown.Width, shown.Height, shown.Channels()));
        var state = new VisualState();
        state.Apply(SampleFrames.Knot(3, (2, 3, 5), [0.1f, 0.6f, 0.9f], [0.1f, 0.6f, 0.9f], NoGradient, 0.0));
        Mat image = Draw(r, state, 0.0, "fit-halves.png");
        Vec3b left = VisualiserKit.Pixel(image, W / 4, H / 2), right = VisualiserKit.Pixel(image, 3 * W / 4, H / 2);
        Assert.True(left.Item2 > 200 && left.Item0 < 60, $"left {left}"); // BGR: red
        Assert.True(right.Item0 > 200 && right.Item2 < 60, $"right {right}");
    }

    [Theory]
    [InlineData(0.05f, 0.03f, -0.08f, 5, 3, -8)]
    [InlineData(-0.02f, 0f, 0.04f, -2, 0, 4)]
    [InlineData(0.5f, -0.7f, -3f, 10, -10, -10)] // clamped to ±0.1: at most 10 px
    public void DistortionOneMovesEachColourPlaneByItsGradientTimesAHundredPixels(float g1, float g2, float g3, int red, int green, int blue)
    {
        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        r.Stage.Options.Overlay = false;
        // A white vertical bar (x 100..139) and a white horizontal bar (y 60..79) on black.
        using var video = new Mat(H, W, MatType.CV_8UC4, new Scalar(0, 0, 0, 255));
        Cv2.Rectangle(video, new Rect(100, 0, 40, H), new Scalar(255, 255, 255, 255), -1);
        Cv2.Rectangle(video, new Rect(0, 60, W, 20), new Scalar(255, 255, 255, 255), -1);
        r.SetVideo(video);
        var state = new VisualState();
        state.Apply(SampleFrames.Knot(3, (2, 3, 5), [0, 0, 0], [0, 0, 0], [g1, g2, g3, 0], 1.0));
        Mat image = Draw(r, state, 1.0, "d1-shift.png");

        // Left edge of the vertical bar, per plane, on a row away from the horizontal bar.
        int Edge(int channel, bool alongX)
        {
            for (int i = 0; i < (alongX ? W : H); i++)
            {
                Vec3b c = alongX ? VisualiserKit.Pixel(image, i, 150) : VisualiserKit.Pixel(image, 20, i);
                if ((channel == 0 ? c.Item0 : channel == 1 ? c.Item1 : c.Item2) > 127) return i;
            }
            return -1;
        }
        Assert.Equal(100 + red, Edge(2, alongX: true));   // red plane: x by 100·∂L/∂θ₁
        Assert.Equal(100 + blue, Edge(0, alongX: true));  // blue plane: x by 100·∂L/∂θ₃
        Assert.Equal(100, Edge(1, alongX: true));         // green does not move along x
        Assert.Equal(60 + green, Edge(1, alongX: false)); // green plane: y by 100·∂L/∂θ₂
        Assert.Equal(60, Edge(2, alongX: false));
    }

    [Fact]
    public void ABubbleDisplacesPixelsInsideItsCircleAndNoneOutside()
    {
        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        r.Stage.Options.Overlay = false;
        using Mat video = Pattern(5);
        r.SetVideo(video);
        var state = new VisualState();
        Frame f = SampleFrames.Cubic(4, [0.5f, 0, 0, 0], [0, 0, 0, 0], [0.04f, -0.07f, 0, 0], 1.0);
        SampleFrames.Press(ref f, 72, 0.98);
        state.Apply(f);
        Assert.Single(state.Bubbles);
        const double now = 1.2;
        Mat image = Draw(r, state, now, "bubble.png");

        Vector2 centre = state.Bubbles[0].Centre * new Vector2(W, H);
        float radius = Distortions.BubbleRadius(H, now - state.Bubbles[0].BornSeconds);
        Assert.InRange(radius, H / 8f * 0.8f, H / 8f);
        using Mat expected = Bgr(video);
        int inside = 0, moved = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                float d = Vector2.Distance(new Vector2(x + 0.5f, y + 0.5f), centre);
                Vec3b got = VisualiserKit.Pixel(image, x, y), want = VisualiserKit.Pixel(expected, x, y);
                int diff = Math.Max(Math.Abs(got.Item0 - want.Item0), Math.Max(Math.Abs(got.Item1 - want.Item1), Math.Abs(got.Item2 - want.Item2)));
                if (d > radius + 1) Assert.True(diff <= 1, $"pixel ({x}, {y}) outside the bubble changed by {diff}");
                else if (d < radius - 1)
                {
                    inside++;
                    if (diff > 8) moved++;
                }
            }
        Assert.True(inside > 500);
        Assert.True(moved > inside * 0.8, $"only {moved} of {inside} pixels inside the bubble moved");
    }

    [Fact]
    public void Part_fours_plain_video_is_a_copy_of_the_fitted_image_and_draws_what_shading_it_draws()
    {
        // A fitted image (the frame's size, bottom row first) under part 4 is copied into the frame,
        // not shaded: the same bytes as shading it, and the picture of the same image uploaded top row
        // first (the bubble's nearest samples may round the other way on a texel's edge: a few pixels).
        using OffscreenRenderer r = OffscreenRenderer.Create(W, H);
        r.Stage.Options.Overlay = false;
        using Mat video = Pattern(7);
        var state = new VisualState();
        Frame f = SampleFrames.Cubic(4, [0.5f, 0, 0, 0], [0, 0, 0, 0], [0.04f, -0.07f, 0, 0], 1.0);
        SampleFrames.Press(ref f, 72, 0.98);
        state.Apply(f);
        const double now = 1.2;
        r.SetVideo(video);
        using Mat topFirst = Draw(r, state, now, "copy-top-first.png").Clone();
        Assert.Equal(0, r.Gpu.VideoCopies);

        using var fitter = new Losses.Visualiser.Video.FrameFitter();
        using var fitted = new Mat();
        using Mat bgr = Bgr(video);
        fitter.Fit(bgr, fitted, W, H);
        r.SetVideo(fitted, fitted: true);
        r.Gpu.CopyVideo = false;
        using Mat shaded = Draw(r, state, now, "copy-shaded.png").Clone();
        Assert.Equal(0, r.Gpu.VideoCopies);
        r.Gpu.CopyVideo = true;
        Mat copied = Draw(r, state, now, "copy-copied.png");
        Assert.Equal(1, r.Gpu.VideoCopies);

        using var diff = new Mat();
        Cv2.Absdiff(copied, shaded, diff);
        diff.MinMaxLoc(out double _, out double max);
        Assert.Equal(0, max);
        Cv2.Absdiff(copied, topFirst, diff);
        using var grey = new Mat();
        Cv2.CvtColor(diff, grey, ColorConversionCodes.BGR2GRAY);
        int differing = Cv2.CountNonZero(grey);
        Assert.True(differing < W * H / 200, $"{differing} pixels differ from the top-first picture");
    }

    [Fact]
    public void EveryKeyPressInPartFourSpawnsABubbleAndTheyShrinkAway()
    {
        var state = new VisualState();
        Frame busy = SampleFrames.Cubic(4, [0, 0, 0, 0], [0, 0, 0, 0], NoGradient, 1.0);
        for (int i = 0; i < Frame.MaxNoteOns; i++) SampleFrames.Press(ref busy, 60 + i, 0.99);
        state.Apply(busy);
        Frame next = SampleFrames.Cubic(4, [0, 0, 0, 0], [0, 0, 0, 0], NoGradient, 1.01);
        SampleFrames.Press(ref next, 70, 1.005);
        state.Apply(next);
        Assert.Equal(17, state.BubblesSpawned);
        Assert.Equal(17, state.Bubbles.Count);
        Assert.True(Distortions.BubbleRadius(H, 0.75) < Distortions.BubbleRadius(H, 0.1));
        state.Expire(1.005 + VisualState.BubbleSeconds + 0.01);
        Assert.Empty(state.Bubbles);

        Frame partOne = SampleFrames.Cubic(1, [0, 0, 0, 0], [0, 0, 0, 0], NoGradient, 3);
        SampleFrames.Press(ref partOne, 70, 2.99);
        state.Apply(partOne);
        Assert.Equal(17, state.BubblesSpawned); // no bubbles outside part 4
    }
}
