using OpenCvSharp;
using Losses.Platform;

namespace Losses.Visualiser.Video;

/// <summary>
/// Where the performer's video comes from. The render thread asks for the image at a time and
/// gets the latest one; it uploads only when <paramref name="changed"/> says it is new.
/// </summary>
public interface IVideoFeed : IDisposable
{
    /// <summary>
    /// The image to show at <paramref name="seconds"/> (owned by the feed, valid until the next call),
    /// or null for none: RGBA rows, at the size given to <see cref="FitTo"/> (see <see cref="FrameFitter"/>).
    /// </summary>
    Mat? FrameAt(double seconds, out bool changed);

    /// <summary>
    /// The frame's size: images from now on come scaled to it (a camera's thread takes it from its next
    /// image on). Cheap when the size is the same, so the render loop calls it every frame.
    /// </summary>
    void FitTo(int width, int height);

    /// <summary>One line for the screen when the feed cannot show what was asked (no camera), else null.</summary>
    string? Problem { get; }
}

/// <summary>What --video names: a camera index, a file, the generated pattern, or nothing.</summary>
public static class VideoSource
{
    public const string Pattern = "pattern";

    /// <summary>A feed for the live window: camera and file are read on their own thread.</summary>
    public static IVideoFeed OpenLive(string? source, int width, int height)
    {
        if (source is null) return new GeneratedFeed(width, height);
        if (source == Pattern) return new GeneratedFeed(width, height);
        if (int.TryParse(source, out int index)) return CaptureFeed.Camera(index);
        return CaptureFeed.File(CheckFile(source));
    }

    /// <summary>A feed for an offline render: the file's frame at each time, read in order on the calling thread.</summary>
    public static IVideoFeed OpenOffline(string? source, int width, int height)
    {
        if (source is null || source == Pattern) return new GeneratedFeed(width, height);
        if (int.TryParse(source, out int index)) return CaptureFeed.Camera(index);
        return new FileFrames(CheckFile(source));
    }

    private static string CheckFile(string path)
    {
        if (!Platform.InputFile.Exists(path)) throw new VisualiserException($"video '{path}': file not found (give a video file, a camera index such as 0, or 'pattern')");
        // Opened and checked here first: a named pipe or a device handed to the decoder would hang it.
        try { using (Platform.InputFile.Open(path, "the video", long.MaxValue)) { } }
        catch (IOException e) { throw new VisualiserException(e.Message); }
        return path;
    }
}
