using System.Runtime;
using Losses.Engine.Live;
using Losses.Engine.Live.Jack;

namespace Losses.Tests.Live;

/// <summary>The live engine compiles its audio path before the audio starts (Precompile), not in the first callbacks.</summary>
public class PrecompileTests
{
    [Fact]
    public void The_audio_path_is_compiled_once_and_a_second_pass_compiles_nothing_new()
    {
        long before = JitInfo.GetCompiledMethodCount(currentThread: true);
        int asked = Precompile.AudioPath(typeof(JackBackend));
        long first = JitInfo.GetCompiledMethodCount(currentThread: true) - before;
        Assert.True(asked > 500, $"only {asked} methods of the audio path's namespaces");
        Assert.True(first > 100, $"the first pass compiled {first} methods");
        // This process may have run some already (other tests); what is left is compiled now, and a
        // second pass has nothing left: every method it asks for is compiled.
        long again = JitInfo.GetCompiledMethodCount(currentThread: true);
        Assert.Equal(asked, Precompile.AudioPath(typeof(JackBackend)));
        long second = JitInfo.GetCompiledMethodCount(currentThread: true) - again;
        Assert.True(second < 20, $"the second pass compiled {second} methods (the first {first}): the first left them");
    }
}
