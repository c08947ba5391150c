using Losses.Engine.Core;
using Losses.Engine.Learning;

namespace Losses.Tests.Learning;

/// <summary>
/// <c>Rng.NextInts</c> (four interleaved generator chains, a multiply for the modulo) draws what
/// <c>NextInt</c> one at a time draws, value for value, and leaves the generator where it would.
/// </summary>
public class RngTests
{
    [Theory]
    [InlineData(1001, 64)]            // the knot's grid and minibatch
    [InlineData(1001, 0)]
    [InlineData(1001, 1)]
    [InlineData(1001, 3)]
    [InlineData(1001, 7)]
    [InlineData(1, 20)]
    [InlineData(65536, 100)]
    [InlineData(1_000_000_007, 257)]  // a large range: rejections happen now and then
    [InlineData(int.MaxValue, 333)]   // 2³¹ − 1: about one draw in two is rejected, inside groups and in the tail
    public void NextInts_draws_what_NextInt_draws_one_at_a_time(int count, int length)
    {
        for (ulong seed = 1; seed <= 20; seed++)
        {
            var batch = new Rng(seed, stream: seed * 7);
            var single = new Rng(seed, stream: seed * 7);
            var range = new IntRange(count);
            var values = new int[length];
            for (int round = 0; round < 5; round++)
            {
                batch.NextInts(values, range);
                for (int i = 0; i < length; i++)
                    Assert.True(single.NextInt(0, count - 1) == values[i], $"seed {seed}, round {round}, value {i}: {values[i]}");
                Assert.Equal(single.NextUInt(), batch.NextUInt()); // the same state after
            }
        }
    }
}
