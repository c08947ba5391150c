using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using Losses.Engine.Audio.Jack;
using Losses.Engine.Live;
using NAudio.Midi;
using NAudio.Wave.Asio;

namespace Losses.Engine.Audio.Asio;

/// <summary>
/// ASIO (Windows) through NAudio.Asio 2.2.1's low-level <see cref="AsioDriverExt"/>: the driver's
/// buffer-switch callback renders straight into the driver's output buffers (NAudio's AsioOut
/// would allocate event arguments per buffer). Buffer size and rate come from the driver.
/// MIDI in comes from NAudio.Midi's <see cref="MidiIn"/> (WinMM): each message is stamped with
/// the monotonic clock on arrival, handed to the audio thread through a preallocated lock-free
/// queue, and placed in the next buffer at the offset its arrival time had within the previous
/// one — one buffer of latency, no jitter. Compiled everywhere, selected only on Windows, and it
/// cannot run on the Linux machines this project is built and tested on: kept thin on purpose.
/// </summary>
[SupportedOSPlatform("windows")]
public sealed class AsioBackend : ILiveBackend
{
    private readonly AsioDriverExt _driver;
    private readonly LiveCore _core;
    private readonly AsioSampleType _sampleType;
    private readonly AsioFillBufferCallback _callback; // held: the driver calls it from native code
    private readonly float[] _left, _right;
    private readonly SpscQueue<(long Timestamp, int Message)> _midi = new(1 << 12);
    private MidiIn? _midiIn;
    private string? _midiName;
    private long _lastCycleTimestamp;
    private long _xruns;
    private long _cycles;
    private bool _disposed;

    private AsioBackend(AsioDriverExt driver, string driverName, Func<int, int, LiveCore> prepare)
    {
        _driver = driver;
        DriverName = driverName;
        AsioDriverCapability caps = driver.Capabilities;
        if (caps.NbOutputChannels < 2) throw new AudioBackendException($"ASIO driver '{driverName}' has fewer than 2 outputs");
        SampleRate = (int)caps.SampleRate;
        BufferSize = driver.CreateBuffers(2, 0, useMaxBufferSize: false);
        _sampleType = caps.OutputChannelInfos[0].type;
        if (_sampleType is not (AsioSampleType.Float32LSB or AsioSampleType.Int32LSB or AsioSampleType.Int16LSB or AsioSampleType.Int24LSB))
            throw new AudioBackendException($"ASIO driver '{driverName}' uses sample type {_sampleType}, which the engine does not write");
        _left = new float[BufferSize];
        _right = new float[BufferSize];
        _core = prepare(SampleRate, BufferSize);
        _callback = OnBufferSwitch;
        driver.FillBufferCallback = _callback;
    }

    public string DriverName { get; }
    public int SampleRate { get; }
    public int BufferSize { get; }
    public string Description => $"ASIO driver '{DriverName}' at {SampleRate} Hz, {BufferSize} frames; MIDI in {_midiName ?? "none"}";
    public long Xruns => Interlocked.Read(ref _xruns);
    public string? Lost => null;
    public long FrameTimeOfSample0 => 0;
    public (long FrameTime, long Frames)[] Skips() => [];

    public static AsioBackend Open(string? driverName, Func<int, int, LiveCore> prepare)
    {
        string[] names = AsioDriver.GetAsioDriverNames();
        if (names.Length == 0) throw new AudioBackendException("no ASIO driver is installed (install your interface's driver, or ASIO4ALL)");
        string name = driverName is null ? names[0]
            : names.FirstOrDefault(n => n.Equals(driverName, StringComparison.OrdinalIgnoreCase))
              ?? names.FirstOrDefault(n => n.Contains(driverName, StringComparison.OrdinalIgnoreCase))
              ?? throw new AudioBackendException($"no ASIO driver matches '{driverName}' (installed: {string.Join(", ", names)})");
        AsioDriverExt driver;
        try
        {
            driver = new AsioDriverExt(AsioDriver.GetAsioDriverByName(name));
        }
        catch (Exception e) when (e is not AudioBackendException)
        {
            throw new AudioBackendException($"ASIO driver '{name}' could not be opened ({e.Message.ReplaceLineEndings(" ")}): check it in the driver's control panel");
        }
        try
        {
            return new AsioBackend(driver, name, prepare);
        }
        catch (Exception e) when (e is not AudioBackendException)
        {
            driver.ReleaseDriver();
            throw new AudioBackendException($"ASIO driver '{name}' refused to start ({e.Message.ReplaceLineEndings(" ")})");
        }
        catch
        {
            driver.ReleaseDriver();
            throw;
        }
    }

    /// <summary>ASIO drivers and WinMM MIDI inputs here, for `losses devices`.</summary>
    public static (string[] Drivers, string[] MidiInputs) Describe()
    {
        string[] drivers = AsioDriver.GetAsioDriverNames();
        var inputs = new string[MidiIn.NumberOfDevices];
        for (int i = 0; i < inputs.Length; i++) inputs[i] = MidiIn.DeviceInfo(i).ProductName;
        return (drivers, inputs);
    }

    public void Start(bool connectOutputs, string? midiSource)
    {
        if (midiSource is not null)
        {
            int device = -1;
            for (int i = 0; i < MidiIn.NumberOfDevices && device < 0; i++)
                if (MidiIn.DeviceInfo(i).ProductName.Contains(midiSource, StringComparison.OrdinalIgnoreCase)) device = i;
            if (device < 0) throw new AudioBackendException($"no MIDI input matches '{midiSource}' (see: losses devices)");
            _midiIn = new MidiIn(device);
            _midiName = MidiIn.DeviceInfo(device).ProductName;
            // Note: NAudio 2.2.1 raises this event with a new EventArgs per message (on the MIDI thread).
            _midiIn.MessageReceived += (_, e) => _midi.TryEnqueue((Stopwatch.GetTimestamp(), e.RawMessage));
            _midiIn.Start();
        }
        _lastCycleTimestamp = Stopwatch.GetTimestamp();
        try
        {
            _driver.Start();
        }
        catch (Exception e) when (e is not AudioBackendException)
        {
            throw new AudioBackendException($"ASIO driver '{DriverName}' refused to start ({e.Message.ReplaceLineEndings(" ")})");
        }
    }

    private void OnBufferSwitch(IntPtr[] inputs, IntPtr[] outputs)
    {
        long now = Stopwatch.GetTimestamp();
        long period = now - _lastCycleTimestamp;
        long expected = Stopwatch.Frequency * BufferSize / SampleRate;
        if (_cycles > 0 && period > expected * 2) Interlocked.Increment(ref _xruns);
        while (_midi.TryDequeue(out var m))
        {
            // Where in the previous buffer's time it arrived, there in this buffer it plays.
            long into = Math.Clamp(m.Timestamp - _lastCycleTimestamp, 0, Math.Max(1, period) - 1);
            int offset = (int)Math.Min(BufferSize - 1, into * BufferSize / Math.Max(1, period));
            _core.AddEvent(offset, (byte)(m.Message & 0xFF), (byte)((m.Message >> 8) & 0x7F), (byte)((m.Message >> 16) & 0x7F));
        }
        _lastCycleTimestamp = now;
        _core.Cycle(_left, _right, BufferSize / (double)SampleRate);
        Write(_left, outputs[0]);
        Write(_right, outputs[1]);
        _cycles++;
    }

    private unsafe void Write(float[] source, IntPtr destination)
    {
        int n = BufferSize;
        switch (_sampleType)
        {
            case AsioSampleType.Float32LSB:
                source.AsSpan(0, n).CopyTo(new Span<float>((void*)destination, n));
                break;
            case AsioSampleType.Int32LSB:
                var i32 = new Span<int>((void*)destination, n);
                for (int i = 0; i < n; i++) i32[i] = (int)Math.Clamp(source[i] * 2147483647.0, int.MinValue, int.MaxValue);
                break;
            case AsioSampleType.Int16LSB:
                var i16 = new Span<short>((void*)destination, n);
                for (int i = 0; i < n; i++) i16[i] = (short)Math.Clamp(source[i] * 32767f, -32768f, 32767f);
                break;
            case AsioSampleType.Int24LSB:
                byte* b = (byte*)destination;
                for (int i = 0; i < n; i++)
                {
                    int v = (int)Math.Clamp(source[i] * 8388607f, -8388608f, 8388607f);
                    b[3 * i] = (byte)v;
                    b[3 * i + 1] = (byte)(v >> 8);
                    b[3 * i + 2] = (byte)(v >> 16);
                }
                break;
        }
    }

    public void Dispose()
    {
        // Twice would release the COM object twice (a crash): the session disposes early, then at the end.
        if (_disposed) return;
        _disposed = true;
        // Never from the driver's own callback.
        _driver.Stop();
        _midiIn?.Stop();
        _midiIn?.Dispose();
        _driver.ReleaseDriver();
    }
}
