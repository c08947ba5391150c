using System.Runtime.InteropServices;

namespace Losses.Plugin;

/// <summary>
/// Keeps this library mapped after the host's last dlclose. The NativeAOT runtime's own threads (GC,
/// finalizer) and a ring's watchdog outlive the last instance; one waking in unmapped code crashes the
/// host as it exits (jalv: 1 exit in about 50 segfaulted after loading a state). Opening ourselves
/// again with RTLD_NODELETE makes every later dlclose leave the code in place.
/// </summary>
internal static unsafe partial class StayLoaded
{
    private const int Now = 0x2, NoLoad = 0x4, NoDelete = 0x1000;
    private static int s_pinned;

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public byte* FileName;
        public void* FileBase;
        public byte* SymbolName;
        public void* SymbolAddress;
    }

    [LibraryImport("libc", EntryPoint = "dladdr")]
    private static partial int DlAddr(void* address, DlInfo* info);

    [LibraryImport("libc", EntryPoint = "dlopen")]
    private static partial nint DlOpen(byte* file, int flags);

    [UnmanagedCallersOnly]
    private static void Here() { }

    /// <summary>Once per process, from the first instantiate / init (not a real-time thread).</summary>
    public static void Pin()
    {
        if (!OperatingSystem.IsLinux() || Interlocked.Exchange(ref s_pinned, 1) != 0) return;
        DlInfo info;
        if (DlAddr((delegate* unmanaged<void>)&Here, &info) != 0 && info.FileName is not null)
            DlOpen(info.FileName, Now | NoLoad | NoDelete); // a reference never released: the handle is not kept
    }
}
