using System.Diagnostics;
using System.Net;
using Losses.Protocol.Osc;

namespace Losses.Engine.Osc;

/// <summary>
/// `live --osc-in [ADDR:]PORT`: a tablet (TouchOSC), Max or any OSC sender drives the piece through
/// the same commands as the console keys. Runs on its own thread, receives into one preallocated
/// buffer and decodes without allocating. Every datagram is counted (empty ones too); one from a
/// sender not on the list is refused unread; a malformed, oversized or unknown packet is counted
/// and dropped; each kind of command acts at most <see cref="CommandsPerSecond"/> times a second
/// (a stuck button or a flood cannot play the piece), the rest counted as limited.
/// </summary>
public sealed class OscControl : IDisposable
{
    /// <summary>Larger datagrams are dropped as oversized (commands are a few dozen bytes).</summary>
    public const int MaxPacket = 4096;
    /// <summary>How often each kind of command (next, panic, reset, part) may act, and how many may come at once.</summary>
    public const int CommandsPerSecond = 8;

    private readonly OscReceiver _receiver;
    private readonly Thread _thread;
    private volatile bool _stop;
    private Handler _handler;

    /// <summary>Binds the address (before the set starts, so a port in use fails it at once).</summary>
    // A short wait keeps the idle loop busy enough that the JIT's tiering of it is over within
    // the engine's warm-up (a method promoted later allocates its profile data in the steady state).
    public static OscReceiver Listen(IPEndPoint local, OscSenders senders) => new(local, senders, timeoutMs: 10);

    /// <summary>Starts taking commands from a bound receiver (which the caller keeps and disposes).</summary>
    public OscControl(IPerformanceRequests core, OscReceiver receiver)
    {
        _receiver = receiver;
        _handler = new Handler(core);
        WarmUp();
        _thread = new Thread(Run) { Name = "losses osc in", IsBackground = true };
        _thread.Start();
    }

    public int Port => _receiver.Port;
    /// <summary>"127.0.0.1:9000 (this machine only)".</summary>
    public string Describe() => $"{OscListen.Describe(_receiver.Local)} ({_receiver.Senders.Description})";
    /// <summary>Every datagram that arrived, refused ones and empty ones included.</summary>
    public long Packets { get; private set; }
    public long Malformed { get; private set; }
    public long Oversized { get; private set; }
    /// <summary>Datagrams from senders not on the list: never read.</summary>
    public long Refused => _receiver.Refused - _refusedAtStart;
    private long _refusedAtStart;
    public long Commands => _handler.Commands;
    /// <summary>Well-formed messages to addresses that mean nothing here.</summary>
    public long Unknown => _handler.Unknown;
    /// <summary>Commands beyond the rate limit: dropped.</summary>
    public long Limited => _handler.Limited;

    private void Run()
    {
        while (!_stop)
        {
            int n = _receiver.Receive();
            if (n == OscReceiver.Nothing) continue;
            Packets++;
            if (n == OscReceiver.RefusedSender) continue;
            if (n > MaxPacket) { Oversized++; continue; }
            _handler.Now = Stopwatch.GetTimestamp();
            if (OscPacket.Read(_receiver.Datagram, ref _handler) != OscError.None) Malformed++;
        }
    }

    /// <summary>
    /// Packets to ourselves, decoded before going live, enough for the JIT to finish tiering the
    /// receive and decode paths: first use and late promotion both allocate, which must happen before the steady state.
    /// </summary>
    private void WarmUp()
    {
        IPEndPoint local = _receiver.Local;
        IPAddress to = local.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : local.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : local.Address;
        using (var self = new OscSender([new IPEndPoint(to, local.Port)]))
        {
            for (int i = 0; i < 200; i++)
            {
                self.Send("/losses/warm-up\0,i\0\0\0\0\0\0"u8);
                _receiver.Receive();
                // Decoded whether or not this machine is on the list: the decode path is what warms.
                OscPacket.Read("/losses/warm-up\0,i\0\0\0\0\0\0"u8, ref _handler);
                OscPacket.Read("#bundle\0"u8, ref _handler); // the malformed path too
                _handler.Now = Stopwatch.GetTimestamp();
                _handler.Allow(ref _handler.Panics);
            }
        }
        _receiver.Receive(); // and a wait that times out
        _refusedAtStart = _receiver.Refused;
        _handler = new Handler(_handler.Core);
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    /// <summary>
    /// A token bucket per kind of command: <see cref="CommandsPerSecond"/> at once, then one every
    /// 1/<see cref="CommandsPerSecond"/> s. A next-part storm cannot starve a panic, nor the other way round.
    /// </summary>
    private struct Bucket
    {
        public long Full; // the timestamp at which the bucket is full again; earlier = tokens used
    }

    /// <summary>The addresses of the OSC-in table in the README.</summary>
    private struct Handler(IPerformanceRequests core) : IOscHandler
    {
        private static readonly long TicksPerCommand = Stopwatch.Frequency / CommandsPerSecond;
        public readonly IPerformanceRequests Core => core;
        public long Commands;
        public long Unknown;
        public long Limited;
        public long Now;
        public Bucket Nexts, Panics, Resets, Parts;

        /// <summary>Takes a token from <paramref name="bucket"/>: false (counted) when it is empty.</summary>
        public bool Allow(ref Bucket bucket)
        {
            long full = Math.Max(bucket.Full, Now);
            if (full + TicksPerCommand > Now + CommandsPerSecond * TicksPerCommand) { Limited++; return false; }
            bucket.Full = full + TicksPerCommand;
            return true;
        }

        public void OnMessage(in OscMessage m)
        {
            ReadOnlySpan<byte> address = m.Address;
            OscArguments args = m.Arguments;
            // A button sends 1 when pressed and 0 when let go (TouchOSC): act on the press only.
            bool released = args.Count > 0 && args.TryNumber(out double first) && first == 0;
            if (address.SequenceEqual("/losses/next"u8)) { if (released || !Allow(ref Nexts)) return; core.RequestNextPart(); }
            else if (address.SequenceEqual("/losses/panic"u8)) { if (released || !Allow(ref Panics)) return; core.RequestPanic(); }
            else if (address.SequenceEqual("/losses/reset"u8)) { if (released || !Allow(ref Resets)) return; core.RequestNewTarget(); }
            else if (address.SequenceEqual("/losses/part"u8))
            {
                OscArguments part = m.Arguments;
                if (!part.TryNumber(out double p) || p is < 1 or > 4 || p != Math.Floor(p)) { Unknown++; return; }
                if (!Allow(ref Parts)) return;
                core.RequestPart((int)p);
            }
            else if (address.Length == 14 && address.StartsWith("/losses/part/"u8) && address[13] is >= (byte)'1' and <= (byte)'4')
            {
                if (released || !Allow(ref Parts)) return;
                core.RequestPart(address[13] - '0');
            }
            else { Unknown++; return; }
            Commands++;
        }
    }
}
