using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Runtime.CompilerServices;
using Losses.Protocol;

namespace Losses.Engine.Live;

/// <summary>
/// Compiles the methods the audio thread can reach before the audio starts. The warm-up runs the
/// processor, but not the backend's callback, the ring writer behind the processor's frame sink,
/// or the getters a frame reads only when a real sink is attached: without this the JIT compiled
/// those in the first callbacks and at the first frames of a model (each a full-optimisation
/// compile, tiering being off), and the first callback of a set took longer than its period.
/// Generic methods are left to the warm-up, which runs their instantiations, and so are explicit
/// interface implementations (PrepareMethod leaves them to their first call).
/// </summary>
internal static class Precompile
{
    private static readonly string[] AudioNamespaces =
    [
        "Losses.Engine.Audio", "Losses.Engine.Live", "Losses.Engine.Parts", "Losses.Engine.Learning",
        "Losses.Engine.Synthesis", "Losses.Engine.Midi", "Losses.Protocol",
    ];

    /// <summary>Compiles every non-generic method of the audio path's namespaces and of the backend's type; returns how many it asked for.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Reflection runs only under the JIT: NativeAOT code is compiled already, and the method returns at once there.")]
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "As IL2026: JIT only, where nothing is trimmed.")]
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "As IL2026: JIT only, where nothing is trimmed.")]
    public static int AudioPath(Type backend)
    {
        if (!RuntimeFeature.IsDynamicCodeCompiled) return 0;
        int count = 0;
        var types = new List<Type> { backend, typeof(SpscQueue<RecordedMidi>) };
        foreach (Assembly assembly in new[] { typeof(Precompile).Assembly, typeof(FrameRingWriter).Assembly })
        {
            Type?[] loaded;
            try { loaded = assembly.GetTypes(); }
            catch (ReflectionTypeLoadException e) { loaded = e.Types; } // the types that did load
            foreach (Type? type in loaded)
                if (type?.Namespace is string ns && Array.IndexOf(AudioNamespaces, ns) >= 0) types.Add(type);
        }
        foreach (Type type in types)
        {
            if (type.ContainsGenericParameters) continue;
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (MethodBase method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                if (method.IsAbstract || method.ContainsGenericParameters || method.GetMethodBody() is null) continue;
                try
                {
                    RuntimeHelpers.PrepareMethod(method.MethodHandle);
                    count++;
                }
                catch (Exception)
                {
                    // A method the runtime will not compile ahead, or whose dependencies this machine lacks
                    // (a platform's own code): it is compiled when first called, as without this.
                }
            }
        }
        return count;
    }
}
