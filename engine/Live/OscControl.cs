using Losses.Protocol.Osc;

namespace Losses.Engine.Live;

/// <summary>
/// `live --osc-in PORT`: a tablet (TouchOSC), Max or any OSC sender drives the piece through the same
/// commands as the console keys. Runs on its own thread, receives into one preallocated buffer and
/// decodes without allocating; a malformed, oversized or unknown packet is counted and dropped.
/// </summary>
public sealed class OscControl : IDisposable
{
    /// <summary>Larger datagrams are dropped as oversized (commands are a few dozen bytes).</summary>
    public const int MaxPacket = 4096;

    private readonly OscReceiver _receiver;
    private readonly Thread _thread;
    private readonly byte[] _buffer = new byte[MaxPacket + 1];
    private volatile bool _stop;
    private Handler _handler;

    /// <summary>Binds the port (before the set starts, so a port in use fails it at once).</summary>
    // A short wait keeps the idle loop busy enough that the JIT's tiering of it is over within
    // the engine's warm-up (a method promoted later allocates its profile data in the steady state).
    public static OscReceiver Listen(int port) => new(port, timeoutMs: 10);

    /// <summary>Starts taking commands from a bound receiver (which the caller keeps and disposes).</summary>
    public OscControl(LiveCore core, OscReceiver receiver)
    {
        _receiver = receiver;
        _handler = new Handler(core);
        WarmUp();
        _thread = new Thread(Run) { Name = "losses osc in", IsBackground = true };
        _thread.Start();
    }

    public int Port => _receiver.Port;
    public long Packets { get; private set; }
    public long Malformed { get; private set; }
    public long Oversized { get; private set; }
    public long Commands => _handler.Commands;
    /// <summary>Well-formed messages to addresses that mean nothing here.</summary>
    public long Unknown => _handler.Unknown;

    private void Run()
    {
        while (!_stop)
        {
            int n = _receiver.Receive(_buffer);
            if (n == 0) continue;
            Packets++;
            if (n < 0) { Oversized++; continue; }
            if (OscPacket.Read(_buffer.AsSpan(0, n), ref _handler) != OscError.None) Malformed++;
        }
    }

    /// <summary>
    /// Packets to ourselves, decoded before going live, enough for the JIT to finish tiering the
    /// receive and decode paths: first use and late promotion both allocate, which must happen before the steady state.
    /// </summary>
    private void WarmUp()
    {
        using (var self = new OscSender([new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, _receiver.Port)]))
        {
            for (int i = 0; i < 200; i++)
            {
                self.Send("/losses/warm-up\0,i\0\0\0\0\0\0"u8);
                int n = _receiver.Receive(_buffer);
                if (n > 0) OscPacket.Read(_buffer.AsSpan(0, n), ref _handler);
                OscPacket.Read("#bundle\0"u8, ref _handler); // the malformed path too
            }
        }
        _receiver.Receive(_buffer); // and a wait that times out
        _handler = new Handler(_handler.Core);
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    /// <summary>The addresses of the OSC-in table in the README.</summary>
    private struct Handler(LiveCore core) : IOscHandler
    {
        public readonly LiveCore Core => core;
        public long Commands;
        public long Unknown;

        public void OnMessage(in OscMessage m)
        {
            ReadOnlySpan<byte> address = m.Address;
            OscArguments args = m.Arguments;
            // A button sends 1 when pressed and 0 when let go (TouchOSC): act on the press only.
            bool released = args.Count > 0 && args.TryNumber(out double first) && first == 0;
            if (address.SequenceEqual("/losses/next"u8)) { if (released) return; core.RequestNextPart(); }
            else if (address.SequenceEqual("/losses/panic"u8)) { if (released) return; core.RequestPanic(); }
            else if (address.SequenceEqual("/losses/reset"u8)) { if (released) return; core.RequestNewTarget(); }
            else if (address.SequenceEqual("/losses/part"u8))
            {
                OscArguments part = m.Arguments;
                if (!part.TryNumber(out double p) || p is < 1 or > 4 || p != Math.Floor(p)) { Unknown++; return; }
                core.RequestPart((int)p);
            }
            else if (address.Length == 14 && address.StartsWith("/losses/part/"u8) && address[13] is >= (byte)'1' and <= (byte)'4')
            {
                if (released) return;
                core.RequestPart(address[13] - '0');
            }
            else { Unknown++; return; }
            Commands++;
        }
    }
}
