using Losses.Engine.Live;
using Losses.Engine.Live.Asio;

namespace Losses.Tests.Live;

/// <summary>The preallocated queue between a driver's thread and the audio thread (WinMM MIDI in) or the recorder (JACK).</summary>
public class SpscQueueTests
{
    [Fact]
    public void A_producer_and_a_consumer_on_two_threads_see_every_message_once_in_order()
    {
        const int count = 1_000_000;
        var queue = new SpscQueue<StampedMidi>(1 << 12);
        var producer = new Thread(() =>
        {
            for (int i = 0; i < count; i++)
                while (!queue.TryEnqueue(new StampedMidi(i, i * 3))) Thread.SpinWait(8);
        });
        producer.Start();
        int expected = 0;
        while (expected < count)
        {
            if (!queue.TryDequeue(out StampedMidi m)) { Thread.SpinWait(8); continue; }
            if (m.Timestamp != expected || m.Message != expected * 3) Assert.Fail($"message {expected} arrived as ({m.Timestamp}, {m.Message})");
            expected++;
        }
        producer.Join();
        Assert.False(queue.TryDequeue(out _));
    }

    [Fact]
    public void A_full_queue_drops_and_counts_what_does_not_fit_and_keeps_what_did()
    {
        var queue = new SpscQueue<StampedMidi>(4);
        for (int i = 0; i < 6; i++) queue.TryEnqueue(new StampedMidi(i, 0x90));
        Assert.Equal(2, queue.Dropped);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(queue.TryDequeue(out StampedMidi m));
            Assert.Equal(i, m.Timestamp);
        }
        Assert.False(queue.TryDequeue(out _));
        Assert.True(queue.TryEnqueue(new StampedMidi(9, 0x80))); // room again once read
    }
}
