using System.Numerics;
using Losses.Protocol;
using Silk.NET.OpenGL;

namespace Losses.Visualiser.Graphics;

/// <summary>A linked program of visualiser/Shaders; subclasses look their uniform locations up once, here.</summary>
internal abstract class ShaderProgram : IDisposable
{
    protected readonly GL Gl;
    protected readonly uint Handle;

    protected ShaderProgram(GL gl, string program)
    {
        Gl = gl;
        (string vertex, string fragment) = ShaderSource.Program(program);
        uint vs = Compile(ShaderType.VertexShader, vertex);
        uint fs = Compile(ShaderType.FragmentShader, fragment);
        Handle = gl.CreateProgram();
        gl.AttachShader(Handle, vs);
        gl.AttachShader(Handle, fs);
        gl.LinkProgram(Handle);
        gl.GetProgram(Handle, ProgramPropertyARB.LinkStatus, out int linked);
        gl.DetachShader(Handle, vs);
        gl.DetachShader(Handle, fs);
        gl.DeleteShader(vs);
        gl.DeleteShader(fs);
        if (linked == 0) throw new InvalidOperationException($"{GetType().Name}: link failed: {gl.GetProgramInfoLog(Handle)}");
    }

    private uint Compile(ShaderType type, string source)
    {
        uint shader = Gl.CreateShader(type);
        Gl.ShaderSource(shader, source);
        Gl.CompileShader(shader);
        Gl.GetShader(shader, ShaderParameterName.CompileStatus, out int ok);
        if (ok == 0) throw new InvalidOperationException($"{GetType().Name}: {type} failed: {Gl.GetShaderInfoLog(shader)}");
        return shader;
    }

    protected int Uniform(string name) => Gl.GetUniformLocation(Handle, name);

    public void Dispose() => Gl.DeleteProgram(Handle);
}

/// <summary>What scene.vert draws: the built-in models' curves, the cubic's errors and points, or a curve through values given (<see cref="SampledCurve"/>: up to <see cref="Frame.MaxPoints"/> values at evenly spaced x over the cubic's view).</summary>
public enum SceneShape { CubicCurve = 0, KnotCurve = 1, ErrorSegments = 2, SamplePoints = 3, SampledCurve = 4 }

/// <summary>The curves, error segments and sample points, their geometry computed in scene.vert from the model's numbers.</summary>
internal sealed class SceneProgram : ShaderProgram
{
    public const int CurveSegments = 240, KnotSegments = 900;
    private readonly int _size, _shape, _learned, _target, _theta, _knotN, _orbit, _age, _drift, _points, _count;
    private readonly float[] _pointData = new float[Frame.MaxPoints];

    public SceneProgram(GL gl) : base(gl, "scene")
    {
        _size = Uniform("uSize");
        _shape = Uniform("uShape");
        _learned = Uniform("uLearned");
        _target = Uniform("uTarget");
        _theta = Uniform("uTheta");
        _knotN = Uniform("uKnotN");
        _orbit = Uniform("uOrbit");
        _age = Uniform("uAge");
        _drift = Uniform("uDrift");
        _points = Uniform("uPoints");
        _count = Uniform("uCount");
    }

    public void Use(int width, int height)
    {
        Gl.UseProgram(Handle);
        Gl.Uniform2(_size, (float)width, height);
    }

    /// <summary>Sets what to draw; returns the vertex count to draw as triangles.</summary>
    public uint Set(SceneShape shape, bool learned, in Float4 target, in Float4 theta, in Int3 knotN, float orbit, float age, Vector2 drift, ReadOnlySpan<float> points)
    {
        Gl.Uniform1(_shape, (int)shape);
        Gl.Uniform1(_learned, learned ? 1 : 0);
        Gl.Uniform4(_target, target[0], target[1], target[2], target[3]);
        Gl.Uniform4(_theta, theta[0], theta[1], theta[2], theta[3]);
        Gl.Uniform3(_knotN, knotN[0], knotN[1], knotN[2]);
        Gl.Uniform1(_orbit, orbit);
        Gl.Uniform1(_age, age);
        Gl.Uniform2(_drift, drift);
        int count = Math.Min(points.Length, Frame.MaxPoints);
        if (shape is SceneShape.ErrorSegments or SceneShape.SamplePoints or SceneShape.SampledCurve)
        {
            points[..count].CopyTo(_pointData);
            Gl.Uniform4(_points, (uint)(Frame.MaxPoints / 4), _pointData.AsSpan());
            Gl.Uniform1(_count, count);
        }
        return shape switch
        {
            SceneShape.CubicCurve => 6 * CurveSegments,
            SceneShape.KnotCurve => 6 * KnotSegments,
            SceneShape.ErrorSegments => (uint)(6 * count),
            SceneShape.SampledCurve => (uint)(6 * Math.Max(0, count - 1)),
            _ => (uint)(12 * count),
        };
    }
}

/// <summary>
/// The video over the whole frame, each colour plane from its own translation (Distortion 1), or
/// the plain video (its own program: one sample per pixel, llvmpipe's fast path).
/// </summary>
internal sealed class VideoProgram : ShaderProgram
{
    private readonly int _size, _red, _green, _blue, _uvScale, _uvOffset, _video;
    private readonly bool _planes;

    public VideoProgram(GL gl, bool planes) : base(gl, planes ? "videoPlanes" : "video")
    {
        _planes = planes;
        _video = Uniform("uVideo");
        _size = Uniform("uSize");
        _red = Uniform("uRed");
        _green = Uniform("uGreen");
        _blue = Uniform("uBlue");
        _uvScale = Uniform("uUvScale");
        _uvOffset = Uniform("uUvOffset");
    }

    public void Use(int width, int height, in VideoDistortion d)
    {
        Gl.UseProgram(Handle);
        Gl.Uniform1(_video, 0);
        Gl.Uniform2(_size, (float)width, height);
        Gl.Uniform2(_red, _planes ? d.Red : Vector2.Zero);
        Gl.Uniform2(_green, _planes ? d.Green : Vector2.Zero);
        Gl.Uniform2(_blue, _planes ? d.Blue : Vector2.Zero);
        Gl.Uniform2(_uvScale, d.UvScale);
        Gl.Uniform2(_uvOffset, d.UvOffset);
    }
}

/// <summary>Distortion 2, one bubble per draw over its bounding square (bubble.frag).</summary>
internal sealed class BubbleProgram : ShaderProgram
{
    private readonly int _size, _rect, _gradient, _time, _amplitude, _bubble, _uvScale, _uvOffset, _video;

    public BubbleProgram(GL gl) : base(gl, "bubble")
    {
        _video = Uniform("uVideo");
        _size = Uniform("uSize");
        _rect = Uniform("uRect");
        _gradient = Uniform("uGradient");
        _time = Uniform("uTime");
        _amplitude = Uniform("uAmplitude");
        _bubble = Uniform("uBubble");
        _uvScale = Uniform("uUvScale");
        _uvOffset = Uniform("uUvOffset");
    }

    public void Use(int width, int height, in VideoDistortion d)
    {
        Gl.UseProgram(Handle);
        Gl.Uniform1(_video, 0);
        Gl.Uniform2(_size, (float)width, height);
        Gl.Uniform2(_gradient, d.Gradient);
        Gl.Uniform1(_time, d.Time);
        Gl.Uniform1(_amplitude, d.Amplitude);
        Gl.Uniform2(_uvScale, d.UvScale);
        Gl.Uniform2(_uvOffset, d.UvOffset);
    }

    /// <summary>The next bubble: its circle, and the square around it that is drawn.</summary>
    public void Bubble(Vector3 bubble)
    {
        Gl.Uniform3(_bubble, bubble);
        float r = MathF.Ceiling(bubble.Z) + 1;
        Gl.Uniform4(_rect, bubble.X - r, bubble.Y - r, 2 * r, 2 * r);
    }
}

/// <summary>The generated feed (pattern.frag) at a time, into a texture.</summary>
internal sealed class PatternProgram : ShaderProgram
{
    private readonly int _size, _time;

    public PatternProgram(GL gl) : base(gl, "pattern")
    {
        _size = Uniform("uSize");
        _time = Uniform("uTime");
    }

    public void Use(int width, int height, float seconds)
    {
        Gl.UseProgram(Handle);
        Gl.Uniform2(_size, (float)width, height);
        Gl.Uniform1(_time, seconds);
    }
}

/// <summary>A texture drawn with its alpha at a pixel rectangle (the HUD).</summary>
internal sealed class ImageProgram : ShaderProgram
{
    private readonly int _size, _rect, _image;

    public ImageProgram(GL gl) : base(gl, "image")
    {
        _size = Uniform("uSize");
        _rect = Uniform("uRect");
        _image = Uniform("uImage");
    }

    public void Use(int width, int height, Vector4 rect)
    {
        Gl.UseProgram(Handle);
        Gl.Uniform1(_image, 0);
        Gl.Uniform2(_size, (float)width, height);
        Gl.Uniform4(_rect, rect);
    }
}
