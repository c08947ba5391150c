namespace Losses.Engine.Live;

/// <summary>
/// A preallocated single-producer, single-consumer queue: the audio thread hands items to a
/// background thread without locking or allocating. A full queue drops the item and counts it.
/// </summary>
public sealed class SpscQueue<T> where T : unmanaged
{
    private readonly T[] _items;
    private readonly long _mask;
    private long _head; // next to write: producer only
    private long _tail; // next to read: consumer only

    public SpscQueue(int capacityPowerOfTwo)
    {
        if (capacityPowerOfTwo < 2 || (capacityPowerOfTwo & (capacityPowerOfTwo - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(capacityPowerOfTwo), "capacity must be a power of two");
        _items = new T[capacityPowerOfTwo];
        _mask = capacityPowerOfTwo - 1;
    }

    public long Dropped { get; private set; }

    /// <summary>Producer side (the audio thread).</summary>
    public bool TryEnqueue(in T item)
    {
        long head = _head;
        // Acquire: the consumer has finished reading the slot it released before we reuse it.
        if (head - Volatile.Read(ref _tail) >= _items.Length)
        {
            Dropped++;
            return false;
        }
        _items[head & _mask] = item;
        // Release: the item is in place before the consumer can see the new head.
        Volatile.Write(ref _head, head + 1);
        return true;
    }

    /// <summary>Consumer side.</summary>
    public bool TryDequeue(out T item)
    {
        long tail = _tail;
        // Acquire: the item's bytes are read after the head that published them.
        if (tail >= Volatile.Read(ref _head))
        {
            item = default;
            return false;
        }
        item = _items[tail & _mask];
        // Release: our read of the slot completes before the producer may overwrite it.
        Volatile.Write(ref _tail, tail + 1);
        return true;
    }
}
