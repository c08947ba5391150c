using System.Runtime.InteropServices;
using System.Text;

namespace Losses.Plugin;

/// <summary>Strings the host reads for the library's lifetime (URIs, names): native, NUL-terminated, never freed.</summary>
internal static unsafe class NativeText
{
    public static byte* Utf8(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var p = (byte*)NativeMemory.AllocZeroed((nuint)bytes.Length + 1);
        bytes.CopyTo(new Span<byte>(p, bytes.Length));
        return p;
    }
}
