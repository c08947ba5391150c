using System.Runtime.InteropServices;

namespace Losses.Visualiser.Native;

/// <summary>
/// A headless OpenGL 3.3 core context through EGL on Mesa's surfaceless platform (llvmpipe when
/// there is no GPU): no display, no window, drawing goes to a framebuffer object. Used for offline
/// renders, the benchmark and the tests.
/// </summary>
internal sealed unsafe partial class EglContext : IDisposable
{
    private const string Library = "libEGL.so.1";
    private const int PlatformSurfacelessMesa = 0x31DD;
    private const int None = 0x3038;
    private const int OpenGlApi = 0x30A2;
    private const int ContextMajorVersion = 0x3098;
    private const int ContextMinorVersion = 0x30FB;
    private const int ContextOpenGlProfileMask = 0x30FD;
    private const int ContextOpenGlCoreProfileBit = 0x1;

    private nint _display;
    private nint _context;

    private EglContext(nint display, nint context)
    {
        _display = display;
        _context = context;
    }

    /// <summary>Creates the context and makes it current on the calling thread; a one-line exception when it cannot.</summary>
    public static EglContext Create()
    {
        nint display;
        try
        {
            display = eglGetPlatformDisplay(PlatformSurfacelessMesa, 0, null);
        }
        catch (DllNotFoundException)
        {
            throw new VisualiserException("cannot render headless: libEGL.so.1 is missing (apt-get install libegl1 libegl-mesa0 libgl1-mesa-dri)");
        }
        if (display == 0) throw new VisualiserException($"cannot render headless: no EGL surfaceless display (EGL error 0x{eglGetError():X}; install libegl-mesa0)");
        int major, minor;
        if (eglInitialize(display, &major, &minor) == 0)
            throw new VisualiserException($"cannot render headless: eglInitialize failed (EGL error 0x{eglGetError():X})");
        if (eglBindAPI(OpenGlApi) == 0)
            throw new VisualiserException("cannot render headless: this EGL has no desktop OpenGL");
        int* attributes = stackalloc int[] { ContextMajorVersion, 3, ContextMinorVersion, 3, ContextOpenGlProfileMask, ContextOpenGlCoreProfileBit, None };
        // EGL_KHR_no_config_context: a surfaceless context needs no framebuffer config.
        nint context = eglCreateContext(display, 0, 0, attributes);
        if (context == 0)
        {
            eglTerminate(display);
            throw new VisualiserException($"cannot render headless: no OpenGL 3.3 core context (EGL error 0x{eglGetError():X})");
        }
        var egl = new EglContext(display, context);
        egl.MakeCurrent();
        return egl;
    }

    public void MakeCurrent()
    {
        if (eglMakeCurrent(_display, 0, 0, _context) == 0)
            throw new VisualiserException($"cannot render headless: eglMakeCurrent failed (EGL error 0x{eglGetError():X})");
    }

    public static nint GetProcAddress(string name) => eglGetProcAddress(name);

    public void Dispose()
    {
        if (_context == 0) return;
        eglMakeCurrent(_display, 0, 0, 0);
        eglDestroyContext(_display, _context);
        // The display is shared per process (Mesa hands back the same one): terminating it here
        // would pull it from under another context, so it is left to process exit.
        _context = 0;
        _display = 0;
    }

    [LibraryImport(Library)] private static partial nint eglGetPlatformDisplay(int platform, nint nativeDisplay, nint* attributes);
    [LibraryImport(Library)] private static partial int eglInitialize(nint display, int* major, int* minor);
    [LibraryImport(Library)] private static partial int eglTerminate(nint display);
    [LibraryImport(Library)] private static partial int eglBindAPI(int api);
    [LibraryImport(Library)] private static partial nint eglCreateContext(nint display, nint config, nint share, int* attributes);
    [LibraryImport(Library)] private static partial int eglDestroyContext(nint display, nint context);
    [LibraryImport(Library)] private static partial int eglMakeCurrent(nint display, nint draw, nint read, nint context);
    [LibraryImport(Library)] private static partial int eglGetError();
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] private static partial nint eglGetProcAddress(string name);
}
