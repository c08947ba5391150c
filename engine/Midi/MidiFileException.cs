namespace Losses.Engine.Midi;

/// <summary>
/// A MIDI file could not be read. <see cref="Exception.Message"/> is one line:
/// "<c>file: what is wrong — what to do</c>", fit to show the performer as it is.
/// </summary>
public sealed class MidiFileException : Exception
{
    public MidiFileException(string fileName, string problem, Exception? innerException = null)
        : base($"{fileName}: {problem}", innerException)
    {
        FileName = fileName;
        Problem = problem;
    }

    /// <summary>The file's name as the caller gave it (a path for <see cref="MidiPerformance.Load"/>).</summary>
    public string FileName { get; }

    /// <summary>The message without the file name.</summary>
    public string Problem { get; }
}
