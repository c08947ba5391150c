using System.Diagnostics;
using OpenCvSharp;

namespace Losses.Visualiser.Video;

/// <summary>
/// A camera or a video file read by OpenCV on a thread of its own, so a slow camera never holds up
/// drawing: the thread fills a back image and swaps it in under a short lock. A file loops at its
/// own frame rate. A camera that is not there leaves a black background and one line saying so.
/// The thread also fits each image to the frame (<see cref="FrameFitter"/>): the render thread only copies it.
/// </summary>
public sealed class CaptureFeed : IVideoFeed
{
    private readonly VideoCapture? _capture;
    private readonly Thread? _thread;
    private readonly object _gate = new();
    private readonly double _fileFps;
    private volatile bool _stop;
    private Mat _back = new();
    private Mat _front = new();
    private long _written, _read;
    private long _fit; // width << 32 | height of the frame, 0 until FitTo: one word, read whole by the capture thread

    private CaptureFeed(VideoCapture? capture, string? problem, double fileFps)
    {
        _capture = capture;
        Problem = problem;
        _fileFps = fileFps;
        if (capture is null) return;
        _thread = new Thread(Run) { IsBackground = true, Name = "video capture" };
        _thread.Start();
    }

    public string? Problem { get; }

    public static CaptureFeed Camera(int index)
    {
        var capture = new VideoCapture();
        if (!capture.Open(index))
        {
            capture.Dispose();
            return new CaptureFeed(null, $"no camera at index {index}: the video layer is black", 0);
        }
        return new CaptureFeed(capture, null, 0);
    }

    public static CaptureFeed File(string path)
    {
        var capture = new VideoCapture();
        if (!capture.Open(path))
        {
            capture.Dispose();
            throw new VisualiserException($"video '{path}': OpenCV cannot read it (an MJPG .avi or an mp4v .mp4 works)");
        }
        double fps = capture.Fps;
        return new CaptureFeed(capture, null, fps is > 0 and < 1000 ? fps : 30);
    }

    private void Run()
    {
        var clock = Stopwatch.StartNew();
        long frame = 0;
        using var image = new Mat();
        using var fitter = new FrameFitter();
        var staging = new Mat();
        while (!_stop)
        {
            if (!_capture!.Read(image) || image.Empty())
            {
                if (_fileFps == 0) { Thread.Sleep(10); continue; } // a camera hiccup: try again
                _capture.Set(VideoCaptureProperties.PosFrames, 0); // a file loops
                if (!_capture.Read(image) || image.Empty()) { Thread.Sleep(100); continue; }
            }
            long fit = Volatile.Read(ref _fit);
            fitter.Fit(image, staging, (int)(fit >> 32), (int)fit);
            lock (_gate)
            {
                (_back, staging) = (staging, _back);
                _written++;
            }
            if (_fileFps > 0)
            {
                // A file plays at its own rate (a camera paces itself).
                frame++;
                double due = frame / _fileFps - clock.Elapsed.TotalSeconds;
                if (due > 0) Thread.Sleep(TimeSpan.FromSeconds(due));
            }
        }
        staging.Dispose();
    }

    public void FitTo(int width, int height) => Volatile.Write(ref _fit, (long)width << 32 | (uint)height);

    public Mat? FrameAt(double seconds, out bool changed)
    {
        changed = false;
        if (_capture is null) return null;
        lock (_gate)
        {
            if (_written != _read)
            {
                (_front, _back) = (_back, _front);
                _read = _written;
                changed = true;
            }
        }
        return _front.Empty() ? null : _front;
    }

    public void Dispose()
    {
        _stop = true;
        _thread?.Join(TimeSpan.FromSeconds(2));
        _capture?.Dispose();
        _front.Dispose();
        _back.Dispose();
    }
}

/// <summary>A video file for an offline render: the frame shown at time t is frame ⌊t·fps⌋, looping.</summary>
public sealed class FileFrames : IVideoFeed
{
    private readonly VideoCapture _capture;
    private readonly string _path;
    private readonly Mat _image = new();
    private readonly Mat _fitted = new();
    private readonly FrameFitter _fitter = new();
    private readonly double _fps;
    private int _width, _height;
    private long _converted = -1;
    private long _position = -1; // index of the frame in _image (within one loop)
    private long _loopLength = long.MaxValue;

    public FileFrames(string path)
    {
        _path = path;
        _capture = new VideoCapture();
        if (!_capture.Open(path))
        {
            _capture.Dispose();
            throw new VisualiserException($"video '{path}': OpenCV cannot read it (an MJPG .avi or an mp4v .mp4 works)");
        }
        double fps = _capture.Fps;
        _fps = fps is > 0 and < 1000 ? fps : 30;
        if (!_capture.Read(_image) || _image.Empty())
            throw new VisualiserException($"video '{path}': has no frames");
        _position = 0;
    }

    public string? Problem => null;

    public void FitTo(int width, int height)
    {
        if (width == _width && height == _height) return;
        (_width, _height) = (width, height);
        _converted = -1;
    }

    public Mat? FrameAt(double seconds, out bool changed)
    {
        long wanted = (long)Math.Floor(Math.Max(0, seconds) * _fps + 1e-9);
        if (_loopLength != long.MaxValue) wanted %= _loopLength;
        changed = false;
        if (wanted < _position) Rewind();
        while (_position < wanted)
        {
            if (!_capture.Read(_image) || _image.Empty())
            {
                // End of the file: it loops, and now we know its length.
                _loopLength = _position + 1;
                wanted %= _loopLength;
                Rewind();
                continue;
            }
            _position++;
        }
        if (_converted != _position)
        {
            _fitter.Fit(_image, _fitted, _width, _height);
            _converted = _position;
            changed = true;
        }
        return _fitted;
    }

    private void Rewind()
    {
        _capture.Set(VideoCaptureProperties.PosFrames, 0);
        if (!_capture.Read(_image) || _image.Empty()) throw new VisualiserException($"video '{_path}': cannot read it again from the start");
        _position = 0;
        _converted = -1;
    }

    public void Dispose()
    {
        _capture.Dispose();
        _image.Dispose();
        _fitted.Dispose();
        _fitter.Dispose();
    }
}
