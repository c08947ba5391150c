namespace Losses.Engine.Live;

/// <summary>A live audio backend around the one processor (JACK on Linux, ASIO on Windows).</summary>
/// <remarks>Dispose may be called more than once (the session stops the audio early, then leaves its scope).</remarks>
public interface ILiveBackend : IDisposable
{
    int SampleRate { get; }
    int BufferSize { get; }
    /// <summary>One line for the performer: what the engine is running on.</summary>
    string Description { get; }
    long Xruns { get; }
    /// <summary>The server or device went away mid-set; the reason, else null.</summary>
    string? Lost { get; }
    /// <summary>
    /// Main thread, every few milliseconds while live: work the device asked for outside its callback
    /// (an ASIO driver's reset request) and watching for a device that went silent. Allocates nothing
    /// in steady state.
    /// </summary>
    void Maintain() { }
    /// <summary>Starts the audio; connects outputs and the MIDI source as asked.</summary>
    void Start(bool connectOutputs, string? midiSource);
    /// <summary>The device clock (frames) that corresponds to the engine's sample 0, where the backend has one.</summary>
    long FrameTimeOfSample0 { get; }
    /// <summary>Slips of the device clock against the engine's: (device frame, signed shift).</summary>
    (long FrameTime, long Frames)[] Skips();
}
