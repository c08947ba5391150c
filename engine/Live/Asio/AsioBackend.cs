using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Losses.Engine.Live;
using Losses.Platform;

namespace Losses.Engine.Live.Asio;

/// <summary>
/// ASIO (Windows): the driver's buffer switch renders into float scratch buffers, then converts
/// them into its output buffers (Float32, Int32, Int24 or Int16 LSB) at the driver's preferred
/// buffer size and its sample rate. The driver
/// is called through its IASIO vtable by function pointers and calls back into unmanaged-callers-only
/// functions: no delegate, no marshalling, nothing allocated per buffer. It answers the driver's
/// messages as the ASIO SDK asks: a reset request or a buffer-size change re-opens the driver on the
/// main thread and the set plays on; a driver that stops calling back is reported as lost.
/// MIDI in is a WinMM input (<see cref="WinMmMidiIn"/>): each message is stamped on arrival and
/// placed in the next buffer at the offset its arrival had within the previous one — one buffer of
/// latency, no jitter. Selected only on Windows; the tests run it under Wine with a driver of their own.
/// </summary>
[SupportedOSPlatform("windows")]
public sealed unsafe class AsioBackend : ILiveBackend
{
    /// <summary>The largest buffer the engine takes (the processor is prepared for it).</summary>
    public const int MaxBuffer = 8192;

    // ASIO callbacks carry no context: the one driver a process may run reaches its backend here.
    private static AsioBackend? s_active;

    private readonly string _name;
    private readonly LiveCore _core;
    private readonly float[] _left = new float[MaxBuffer], _right = new float[MaxBuffer];
    private readonly AsioSdk.BufferInfo* _buffers;
    private readonly AsioSdk.Callbacks* _callbacks;
    private readonly SpscQueue<StampedMidi> _midi = new(1 << 12);
    private AsioDriverInstance? _driver;
    private WinMmMidiIn? _midiIn;
    private int _typeLeft, _typeRight;
    private bool _outputReady;
    private bool _running;
    private bool _disposed;
    private int _resetRequested;
    private int _rateChanged;
    private long _lastCycleTimestamp;
    private long _xruns;
    private long _cyclesSeen;
    private long _watchedCycles = -1;
    private long _watchedSince;
    private string? _lost;

    private AsioBackend(string name, AsioDriverInstance driver, Func<int, int, LiveCore> prepare)
    {
        _name = name;
        _buffers = (AsioSdk.BufferInfo*)NativeMemory.AllocZeroed(2, (nuint)sizeof(AsioSdk.BufferInfo));
        _callbacks = (AsioSdk.Callbacks*)NativeMemory.AllocZeroed((nuint)sizeof(AsioSdk.Callbacks));
        _callbacks->BufferSwitch = &OnBufferSwitch;
        _callbacks->SampleRateDidChange = &OnSampleRateDidChange;
        _callbacks->AsioMessage = &OnAsioMessage;
        _callbacks->BufferSwitchTimeInfo = &OnBufferSwitchTimeInfo;
        try
        {
            Configure(driver);
            _core = prepare(SampleRate, BufferSize);
        }
        catch
        {
            if (_driver is not null) driver.DisposeBuffers();
            Free();
            throw;
        }
    }

    public string DriverName => _name;
    public int SampleRate { get; private set; }
    public int BufferSize { get; private set; }
    public string SampleTypes => _typeLeft == _typeRight ? AsioSdk.SampleTypeName(_typeLeft) : $"{AsioSdk.SampleTypeName(_typeLeft)}/{AsioSdk.SampleTypeName(_typeRight)}";
    public string Description => $"ASIO driver '{_name}' at {SampleRate} Hz, {BufferSize} frames, {SampleTypes}; MIDI in {_midiIn?.Name ?? "none"}";
    public long Xruns => Interlocked.Read(ref _xruns);
    public string? Lost => Volatile.Read(ref _lost);
    public long FrameTimeOfSample0 => 0;
    public (long FrameTime, long Frames)[] Skips() => [];

    /// <summary>Opens the driver whose name is or contains <paramref name="driverName"/> (the first installed when null).</summary>
    public static AsioBackend Open(string? driverName, Func<int, int, LiveCore> prepare)
    {
        string name = Find(driverName);
        AsioDriverInstance driver = CreateDriver(name);
        try
        {
            return new AsioBackend(name, driver, prepare);
        }
        catch
        {
            driver.Dispose();
            throw;
        }
    }

    private static string Find(string? driverName)
    {
        string[] names = AsioDriverInstance.InstalledNames();
        if (names.Length == 0) throw new AudioBackendException("no ASIO driver is installed (install your interface's driver, or ASIO4ALL)");
        if (driverName is null) return names[0];
        int found = DeviceMatch.Find(names, driverName);
        return found >= 0 ? names[found] : throw new AudioBackendException($"no ASIO driver matches '{driverName}' (installed: {string.Join(", ", names)})");
    }

    private static AsioDriverInstance CreateDriver(string name)
    {
        try
        {
            return AsioDriverInstance.Create(name);
        }
        catch (Exception e) when (e is COMException or SEHException or DllNotFoundException or EntryPointNotFoundException)
        {
            throw new AudioBackendException($"ASIO driver '{name}' could not be opened ({e.Message.ReplaceLineEndings(" ")}): reinstall it");
        }
    }

    /// <summary>ASIO drivers and WinMM MIDI inputs here, for `losses devices`.</summary>
    public static (string[] Drivers, string[] MidiInputs) Describe() => (AsioDriverInstance.InstalledNames(), WinMmMidiIn.DeviceNames());

    /// <summary>Reads the driver's settings and creates the two output buffers at its preferred size.</summary>
    private void Configure(AsioDriverInstance driver)
    {
        Check(driver, driver.GetChannels(out _, out int outputs), "getChannels");
        if (outputs < 2) throw new AudioBackendException($"ASIO driver '{_name}' has {outputs} output(s); the engine plays stereo");
        Check(driver, driver.GetSampleRate(out double rate), "getSampleRate");
        if (!Limits.IsSampleRate(rate) && driver.CanSampleRate(48000) == AsioSdk.Ok && driver.SetSampleRate(48000) == AsioSdk.Ok)
            Check(driver, driver.GetSampleRate(out rate), "getSampleRate");
        if (!Limits.IsSampleRate(rate) || rate != Math.Round(rate))
            throw new AudioBackendException($"ASIO driver '{_name}' runs at {rate} Hz: set 44100 or 48000 Hz in its control panel");
        Check(driver, driver.GetBufferSize(out int min, out int max, out int preferred, out int granularity), "getBufferSize");
        if (preferred < 1 || preferred > MaxBuffer)
            throw new AudioBackendException($"ASIO driver '{_name}' prefers {preferred} frames (range {min}..{max}, granularity {granularity}): choose 32..{MaxBuffer} in its control panel");
        _typeLeft = OutputType(driver, 0);
        _typeRight = OutputType(driver, 1);

        _buffers[0] = new AsioSdk.BufferInfo { IsInput = 0, ChannelNum = 0 };
        _buffers[1] = new AsioSdk.BufferInfo { IsInput = 0, ChannelNum = 1 };
        Check(driver, driver.CreateBuffers(_buffers, 2, preferred, _callbacks), "createBuffers");
        if (_buffers[0].Buffer0 == 0 || _buffers[0].Buffer1 == 0 || _buffers[1].Buffer0 == 0 || _buffers[1].Buffer1 == 0)
        {
            driver.DisposeBuffers();
            throw new AudioBackendException($"ASIO driver '{_name}' created no output buffers");
        }
        // The SDK's probe: a driver that supports outputReady returns ASE_OK here and then expects it after every switch.
        _outputReady = driver.OutputReady() == AsioSdk.Ok;
        SampleRate = (int)rate;
        BufferSize = preferred;
        _driver = driver;
    }

    private int OutputType(AsioDriverInstance driver, int channel)
    {
        var info = new AsioSdk.ChannelInfo { Channel = channel, IsInput = 0 };
        Check(driver, driver.GetChannelInfo(ref info), "getChannelInfo");
        if (info.Type is not (AsioSdk.Float32Lsb or AsioSdk.Int32Lsb or AsioSdk.Int24Lsb or AsioSdk.Int16Lsb))
            throw new AudioBackendException($"ASIO driver '{_name}' uses sample type {info.Type} on output {channel + 1}, which the engine does not write (Float32/Int32/Int24/Int16 LSB)");
        return info.Type;
    }

    private void Check(AsioDriverInstance driver, int error, string call)
    {
        if (error is AsioSdk.Ok or AsioSdk.Success) return;
        string message = driver.ErrorMessage();
        throw new AudioBackendException($"ASIO driver '{_name}' failed {call} ({AsioSdk.ErrorName(error)}{(message.Length > 0 ? ": " + message : "")}): check its control panel, or choose another buffer size");
    }

    public void Start(bool connectOutputs, string? midiSource)
    {
        if (midiSource is not null) _midiIn = WinMmMidiIn.Open(midiSource, _midi);
        StartDriver();
    }

    private void StartDriver()
    {
        AsioBackend? other = Interlocked.CompareExchange(ref s_active, this, null);
        if (other is not null && other != this)
            throw new AudioBackendException("another ASIO session runs in this process");
        _lastCycleTimestamp = Stopwatch.GetTimestamp();
        _watchedCycles = -1;
        int error = _driver!.Start();
        if (error is not (AsioSdk.Ok or AsioSdk.Success))
        {
            string message = _driver.ErrorMessage();
            throw new AudioBackendException($"ASIO driver '{_name}' failed start ({AsioSdk.ErrorName(error)}{(message.Length > 0 ? ": " + message : "")}): is the interface connected and free?");
        }
        _running = true;
    }

    /// <summary>
    /// Main thread, every few milliseconds: re-opens the driver when it asked for a reset (never from
    /// its own callback, as the SDK requires), and notices a driver that stopped calling back.
    /// Allocates nothing unless something happened.
    /// </summary>
    public void Maintain()
    {
        if (_lost is not null || !_running) return;
        if (Volatile.Read(ref _rateChanged) != 0) { Lose($"the ASIO driver '{_name}' changed its sample rate: set {SampleRate} Hz in its control panel and start again"); return; }
        if (Interlocked.Exchange(ref _resetRequested, 0) != 0) { Reopen(); return; }

        long cycles = Volatile.Read(ref _cyclesSeen);
        long now = Stopwatch.GetTimestamp();
        if (cycles != _watchedCycles) { _watchedCycles = cycles; _watchedSince = now; return; }
        // Two seconds (or 20 periods of a long buffer) without a buffer switch: the device is gone. Shorter
        // would end a set over a glitch the driver recovers from; the audio is lost either way.
        double silent = (now - _watchedSince) / (double)Stopwatch.Frequency;
        if (silent > Math.Max(2.0, 20.0 * BufferSize / SampleRate))
            Lose($"the ASIO driver '{_name}' stopped calling back (was the interface unplugged or switched off?)");
    }

    private void Lose(string reason)
    {
        StopDriver();
        Volatile.Write(ref _lost, reason);
    }

    /// <summary>The SDK's reset: stop, dispose the buffers, release the driver, create it again with its new settings.</summary>
    private void Reopen()
    {
        int oldBuffer = BufferSize, oldRate = SampleRate;
        CloseDriver();
        try
        {
            AsioDriverInstance driver = CreateDriver(_name);
            try
            {
                Configure(driver);
            }
            catch
            {
                driver.Dispose();
                throw;
            }
            if (SampleRate != oldRate)
            {
                Lose($"the ASIO driver '{_name}' now runs at {SampleRate} Hz, the set at {oldRate} Hz: set {oldRate} Hz in its control panel and start again");
                return;
            }
            StartDriver();
            Console.Error.WriteLine($"ASIO driver '{_name}' asked for a reset: re-opened at {SampleRate} Hz, {BufferSize} frames (was {oldBuffer}), {SampleTypes}; playing on");
        }
        catch (AudioBackendException e)
        {
            CloseDriver();
            Volatile.Write(ref _lost, $"after a reset request: {e.Message}");
        }
    }

    private void StopDriver()
    {
        if (_running) _driver?.Stop(); // returns once the driver's thread is out of our callback
        _running = false;
    }

    private void CloseDriver()
    {
        StopDriver();
        Interlocked.CompareExchange(ref s_active, null, this);
        if (_driver is not null)
        {
            _driver.DisposeBuffers();
            _driver.Dispose();
            _driver = null;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnBufferSwitch(int index, int directProcess) => Volatile.Read(ref s_active)?.Switch(index);

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static nint OnBufferSwitchTimeInfo(nint time, int index, int directProcess)
    {
        Volatile.Read(ref s_active)?.Switch(index);
        return time;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnSampleRateDidChange(double rate)
    {
        AsioBackend? self = Volatile.Read(ref s_active);
        if (self is not null && rate != self.SampleRate) Volatile.Write(ref self._rateChanged, 1);
    }

    /// <summary>The driver's questions and requests (any thread): answered at once, acted on by <see cref="Maintain"/>.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnAsioMessage(int selector, int value, nint message, double* opt)
    {
        AsioBackend? self = Volatile.Read(ref s_active);
        switch (selector)
        {
            case AsioSdk.SelectorSupported:
                return value is AsioSdk.EngineVersion or AsioSdk.ResetRequest or AsioSdk.BufferSizeChange or AsioSdk.ResyncRequest
                    or AsioSdk.LatenciesChanged or AsioSdk.SupportsTimeInfo or AsioSdk.Overload ? 1 : 0;
            case AsioSdk.EngineVersion:
                return 2;
            case AsioSdk.ResetRequest:
            case AsioSdk.BufferSizeChange: // the new size is taken the same way: by re-opening
                if (self is not null) Volatile.Write(ref self._resetRequested, 1);
                return 1;
            case AsioSdk.ResyncRequest:
            case AsioSdk.Overload:
                if (self is not null) Interlocked.Increment(ref self._xruns); // the driver lost samples: the engine's clock did not
                return 1;
            case AsioSdk.LatenciesChanged:
            case AsioSdk.SupportsTimeInfo:
                return 1;
            default:
                return 0;
        }
    }

    /// <summary>The driver's thread: one buffer of both channels, in the driver's sample type.</summary>
    private void Switch(int index)
    {
        AsioDriverInstance? driver = _driver;
        if (driver is null || Volatile.Read(ref _lost) is not null) return;
        int n = BufferSize;
        long now = Stopwatch.GetTimestamp();
        long period = now - _lastCycleTimestamp;
        long expected = Stopwatch.Frequency * n / SampleRate;
        if (_cyclesSeen > 0 && period > expected * 2) Interlocked.Increment(ref _xruns);
        while (_midi.TryDequeue(out StampedMidi m))
        {
            // Where in the previous buffer's time it arrived, there in this buffer it plays.
            long into = Math.Clamp(m.Timestamp - _lastCycleTimestamp, 0, Math.Max(1, period) - 1);
            int offset = (int)Math.Min(n - 1, into * n / Math.Max(1, period));
            _core.AddEvent(offset, (byte)(m.Message & 0xFF), (byte)((m.Message >> 8) & 0x7F), (byte)((m.Message >> 16) & 0x7F));
        }
        _lastCycleTimestamp = now;
        Span<float> left = _left.AsSpan(0, n), right = _right.AsSpan(0, n);
        _core.Cycle(left, right, n / (double)SampleRate);
        AsioSdk.BufferInfo* b = _buffers;
        Write(left, index == 0 ? b[0].Buffer0 : b[0].Buffer1, _typeLeft);
        Write(right, index == 0 ? b[1].Buffer0 : b[1].Buffer1, _typeRight);
        if (_outputReady) driver.OutputReady();
        Volatile.Write(ref _cyclesSeen, _cyclesSeen + 1);
    }

    /// <summary>Float samples (inside ±1: the processor's limiter) into the driver's format, integers rounded to nearest.</summary>
    internal static void Write(ReadOnlySpan<float> source, nint destination, int type)
    {
        int n = source.Length;
        switch (type)
        {
            case AsioSdk.Float32Lsb:
                source.CopyTo(new Span<float>((void*)destination, n));
                break;
            case AsioSdk.Int32Lsb:
                var i32 = new Span<int>((void*)destination, n);
                for (int i = 0; i < n; i++) i32[i] = (int)Math.Clamp(Math.Round(source[i] * 2147483647.0), int.MinValue, int.MaxValue);
                break;
            case AsioSdk.Int24Lsb:
                byte* p = (byte*)destination;
                for (int i = 0; i < n; i++)
                {
                    int v = (int)Math.Clamp(MathF.Round(source[i] * 8388607f), -8388608f, 8388607f);
                    p[3 * i] = (byte)v;
                    p[3 * i + 1] = (byte)(v >> 8);
                    p[3 * i + 2] = (byte)(v >> 16);
                }
                break;
            case AsioSdk.Int16Lsb:
                var i16 = new Span<short>((void*)destination, n);
                for (int i = 0; i < n; i++) i16[i] = (short)Math.Clamp(MathF.Round(source[i] * 32767f), -32768f, 32767f);
                break;
        }
    }

    private void Free()
    {
        NativeMemory.Free(_buffers);
        NativeMemory.Free(_callbacks);
    }

    public void Dispose()
    {
        // Twice would release the COM object twice: the session stops the audio early, then leaves its scope.
        if (_disposed) return;
        _disposed = true;
        CloseDriver(); // never from the driver's own callback
        _midiIn?.Dispose();
        Free();
    }
}
