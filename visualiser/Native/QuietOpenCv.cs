using System.Runtime.InteropServices;

namespace Losses.Visualiser.Native;

/// <summary>
/// OpenCV's FFmpeg prints its own lines on stderr ("moov atom not found") before we can say what
/// is wrong in one line. It reads its log level from the environment of the process, so it is set
/// natively (Environment.SetEnvironmentVariable does not reach native getenv on Unix) before any
/// OpenCV call. A user's own setting wins.
/// </summary>
internal static partial class QuietOpenCv
{
    public static void Apply()
    {
        if (OperatingSystem.IsWindows()) return;
        Set("OPENCV_FFMPEG_LOGLEVEL", "-8"); // AV_LOG_QUIET
        Set("OPENCV_LOG_LEVEL", "SILENT");
    }

    private static void Set(string name, string value)
    {
        if (Environment.GetEnvironmentVariable(name) is null) setenv(name, value, 0);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);
}
