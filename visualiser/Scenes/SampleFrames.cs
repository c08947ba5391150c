using Losses.Protocol;

namespace Losses.Visualiser.Scenes;

/// <summary>Frames made by hand, as the engine would publish them: for the benchmark and the tests.</summary>
public static class SampleFrames
{
    public const int SampleRate = 48000;

    public static Frame Cubic(int part, float[] target, float[] theta, float[] gradient, double seconds, int cubicTargets = 1, int points = 100, int seed = 7)
    {
        Frame f = Base(part, FrameModel.Cubic, seconds);
        f.CubicTargets = cubicTargets;
        for (int i = 0; i < 4; i++) { f.Target[i] = target[i]; f.Theta[i] = theta[i]; f.Gradient[i] = gradient[i]; }
        var random = new Random(seed);
        f.PointCount = Math.Min(points, Frame.MaxPoints);
        for (int i = 0; i < f.PointCount; i++) f.Points[i] = (float)(random.NextDouble() * 2 - 1);
        return f;
    }

    public static Frame Knot(int part, (int X, int Y, int Z) n, float[] target, float[] theta, float[] gradient, double seconds)
    {
        Frame f = Base(part, FrameModel.Knot, seconds);
        f.KnotTargets = 1;
        f.KnotN[0] = n.X; f.KnotN[1] = n.Y; f.KnotN[2] = n.Z;
        for (int i = 0; i < 3; i++) { f.Target[i] = target[i]; f.Theta[i] = theta[i]; f.Gradient[i] = gradient[i]; }
        return f;
    }

    /// <summary>Adds a key press at <paramref name="seconds"/> to the frame.</summary>
    public static void Press(ref Frame f, int note, double seconds)
    {
        if (f.NoteOnCount >= Frame.MaxNoteOns) throw new InvalidOperationException("a frame holds at most 16 key presses");
        f.NoteOns[f.NoteOnCount++] = new NoteOnEvent { Note = note, Velocity = 90, SampleTime = (long)Math.Round(seconds * SampleRate) };
    }

    private static Frame Base(int part, FrameModel model, double seconds)
    {
        Frame f = default;
        f.SampleRate = SampleRate;
        f.SampleTime = (long)Math.Round(seconds * SampleRate);
        f.Part = part;
        f.Model = model;
        f.Loss = 0.05f;
        return f;
    }
}
