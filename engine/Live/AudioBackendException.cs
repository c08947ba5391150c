namespace Losses.Engine.Live;

/// <summary>A live backend could not start or lost its device: one line for the performer.</summary>
public sealed class AudioBackendException(string message) : Exception(message);
