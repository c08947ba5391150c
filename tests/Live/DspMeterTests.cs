using System.Diagnostics;
using Losses.Engine.Live;

namespace Losses.Tests.Live;

/// <summary>The live summary's DSP load: median, 99th percentile and maximum of known cycle times.</summary>
public class DspMeterTests
{
    /// <summary>Records a cycle whose callback took <paramref name="permille"/>/1000 of a one-second period.</summary>
    private static void Record(DspMeter meter, int permille) =>
        meter.Record(0, permille * Stopwatch.Frequency / 1000, periodSeconds: 1.0);

    [Fact]
    public void Loads_of_one_to_a_thousand_permille_in_any_order_give_their_median_p99_and_max()
    {
        var meter = new DspMeter();
        int[] order = Enumerable.Range(1, 1000).ToArray();
        new Random(3).Shuffle(order);
        foreach (int p in order) Record(meter, p);

        var (median, p99, max, cycles) = meter.Summary();
        Assert.Equal(1000, cycles);
        Assert.Equal(0.501f, median, 6); // the upper of the two middle values
        Assert.Equal(0.991f, p99, 6);    // 990 of the 1000 are below it
        Assert.Equal(1.000f, max, 6);
        Assert.Equal(order[^1] / 1000f, meter.Last, 6);
    }

    [Fact]
    public void The_summary_counts_only_the_cycles_after_warm_up()
    {
        var meter = new DspMeter();
        for (int i = 0; i < 50; i++) Record(meter, 900); // warm-up: slow
        for (int i = 0; i < 100; i++) Record(meter, 10 + i % 10);
        var (median, p99, max, cycles) = meter.Summary(fromCycle: 50);
        Assert.Equal(100, cycles);
        Assert.Equal(0.015f, median, 6);
        Assert.Equal(0.019f, p99, 6);
        Assert.Equal(0.019f, max, 6);
    }

    [Fact]
    public void The_warm_up_summary_counts_only_the_cycles_before_it_ends_and_which_overran()
    {
        var meter = new DspMeter();
        Record(meter, 1300); // the first callback, longer than its period
        for (int i = 0; i < 49; i++) Record(meter, 900);
        Record(meter, 1000);  // exactly the period: not an overrun
        for (int i = 0; i < 100; i++) Record(meter, 2000); // after warm-up: not counted
        var (_, _, max, cycles) = meter.Summary(0, toCycle: 51);
        Assert.Equal(51, cycles);
        Assert.Equal(1.3f, max, 6);
        Assert.Equal(1, meter.Overruns(toCycle: 51));
        Assert.Equal(101, meter.Overruns(toCycle: long.MaxValue));
    }

    [Fact]
    public void A_full_ring_keeps_the_latest_cycles()
    {
        var meter = new DspMeter(cycles: 8);
        for (int i = 1; i <= 20; i++) Record(meter, i);
        var (median, _, max, cycles) = meter.Summary();
        Assert.Equal(8, cycles);              // cycles 13..20
        Assert.Equal(0.017f, median, 6);
        Assert.Equal(0.020f, max, 6);
        Assert.Equal((0f, 0f, 0f, 0L), new DspMeter().Summary());
    }
}
