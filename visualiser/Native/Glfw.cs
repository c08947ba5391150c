using System.Reflection;
using System.Runtime.InteropServices;

namespace Losses.Visualiser.Native;

/// <summary>
/// The part of GLFW 3.3 the visualiser uses: one window with a GL 3.3 core context, keys, full
/// screen. A hand-written binding (libglfw.so.3 on Linux, glfw3.dll on Windows) so no wrapper
/// package is needed; names and constants are GLFW's own.
/// </summary>
internal static unsafe partial class Glfw
{
    private const string Library = "glfw";

    public const int True = 1;
    public const int Press = 1;
    public const int KeyEscape = 256;
    public const int KeyF = 70;
    public const int KeyH = 72;
    public const int Visible = 0x00020004;
    public const int ContextVersionMajor = 0x00022002;
    public const int ContextVersionMinor = 0x00022003;
    public const int OpenGlForwardCompat = 0x00022006;
    public const int OpenGlProfile = 0x00022008;
    public const int OpenGlCoreProfile = 0x00032001;

    [StructLayout(LayoutKind.Sequential)]
    public struct VideoMode
    {
        public int Width, Height, RedBits, GreenBits, BlueBits, RefreshRate;
    }

    static Glfw()
    {
        // One logical name, mapped to the platform's file: the DllImport names no OS.
        NativeLibrary.SetDllImportResolver(typeof(Glfw).Assembly, Resolve);
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return 0;
        string file = OperatingSystem.IsWindows() ? "glfw3.dll" : OperatingSystem.IsMacOS() ? "libglfw.3.dylib" : "libglfw.so.3";
        return NativeLibrary.TryLoad(file, assembly, path, out nint handle) ? handle : 0;
    }

    /// <summary>True when the GLFW library can be loaded at all.</summary>
    public static bool IsAvailable()
    {
        try { return TryGetVersion(); }
        catch (DllNotFoundException) { return false; }
        catch (EntryPointNotFoundException) { return false; }
    }

    private static bool TryGetVersion()
    {
        int major, minor, rev;
        glfwGetVersion(&major, &minor, &rev);
        return major >= 3;
    }

    /// <summary>The last GLFW error's description, or null.</summary>
    public static string? LastError()
    {
        byte* description = null;
        int code = glfwGetError(&description);
        return code == 0 ? null : description is null ? $"GLFW error 0x{code:X}" : Marshal.PtrToStringUTF8((nint)description);
    }

    [LibraryImport(Library)] public static partial void glfwGetVersion(int* major, int* minor, int* rev);
    [LibraryImport(Library)] public static partial int glfwInit();
    [LibraryImport(Library)] public static partial void glfwTerminate();
    [LibraryImport(Library)] public static partial int glfwGetError(byte** description);
    [LibraryImport(Library)] public static partial void glfwWindowHint(int hint, int value);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial nint glfwCreateWindow(int width, int height, string title, nint monitor, nint share);
    [LibraryImport(Library)] public static partial void glfwDestroyWindow(nint window);
    [LibraryImport(Library)] public static partial void glfwMakeContextCurrent(nint window);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial nint glfwGetProcAddress(string name);
    [LibraryImport(Library)] public static partial void glfwSwapBuffers(nint window);
    [LibraryImport(Library)] public static partial void glfwSwapInterval(int interval);
    [LibraryImport(Library)] public static partial void glfwPollEvents();
    [LibraryImport(Library)] public static partial int glfwWindowShouldClose(nint window);
    [LibraryImport(Library)] public static partial void glfwSetWindowShouldClose(nint window, int value);
    [LibraryImport(Library)] public static partial int glfwGetKey(nint window, int key);
    [LibraryImport(Library)] public static partial void glfwGetFramebufferSize(nint window, int* width, int* height);
    [LibraryImport(Library)] public static partial void glfwGetWindowPos(nint window, int* x, int* y);
    [LibraryImport(Library)] public static partial void glfwGetWindowSize(nint window, int* width, int* height);
    [LibraryImport(Library)] public static partial nint glfwGetPrimaryMonitor();
    [LibraryImport(Library)] public static partial VideoMode* glfwGetVideoMode(nint monitor);
    [LibraryImport(Library)] public static partial nint glfwGetWindowMonitor(nint window);
    [LibraryImport(Library)] public static partial nint* glfwGetMonitors(int* count);
    [LibraryImport(Library)] public static partial byte* glfwGetMonitorName(nint monitor);
    [LibraryImport(Library)] public static partial void glfwGetMonitorPos(nint monitor, int* x, int* y);
    [LibraryImport(Library)] public static partial void glfwSetWindowPos(nint window, int x, int y);
    [LibraryImport(Library)] public static partial void glfwSetWindowMonitor(nint window, nint monitor, int x, int y, int width, int height, int refreshRate);
}
