// Tests run one at a time: the live tests hold a real-time JACK graph at 64-frame periods on a
// 2-core machine, and the ring stress test spins three processes; side by side they would make
// each other miss deadlines.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
