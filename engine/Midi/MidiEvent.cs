namespace Losses.Engine.Midi;

/// <summary>A short MIDI message for the processor; <see cref="Offset"/> is its sample within the block.</summary>
public readonly record struct MidiEvent(int Offset, byte Status, byte Data1, byte Data2)
{
    public int Kind => Status & 0xF0;
    public int Channel => Status & 0x0F;

    public static MidiEvent NoteOn(int offset, int note, int velocity, int channel = 0) =>
        new(offset, (byte)(0x90 | channel), (byte)note, (byte)velocity);

    public static MidiEvent NoteOff(int offset, int note, int channel = 0) =>
        new(offset, (byte)(0x80 | channel), (byte)note, 0);

    public static MidiEvent Control(int offset, int controller, int value, int channel = 0) =>
        new(offset, (byte)(0xB0 | channel), (byte)controller, (byte)value);
}

/// <summary>A short MIDI message at an absolute sample time of a performance.</summary>
public readonly record struct TimedMidiEvent(long SampleTime, byte Status, byte Data1, byte Data2)
{
    public MidiEvent At(int offset) => new(offset, Status, Data1, Data2);
}
