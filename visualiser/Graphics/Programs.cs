using System.Numerics;
using Silk.NET.OpenGL;

namespace Losses.Visualiser.Graphics;

/// <summary>A linked GLSL 330 program; subclasses look their uniform locations up once, here.</summary>
internal abstract class ShaderProgram : IDisposable
{
    protected readonly GL Gl;
    protected readonly uint Handle;

    protected ShaderProgram(GL gl, string vertex, string fragment)
    {
        Gl = gl;
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

/// <summary>Coloured triangles in pixel coordinates (origin top-left).</summary>
internal sealed class ShapeProgram : ShaderProgram
{
    private readonly int _size;

    public ShapeProgram(GL gl) : base(gl, """
        #version 330 core
        layout(location = 0) in vec2 aPixel;
        layout(location = 1) in vec4 aColor;
        uniform vec2 uSize;
        out vec4 vColor;
        void main() {
            gl_Position = vec4(aPixel.x / uSize.x * 2.0 - 1.0, 1.0 - aPixel.y / uSize.y * 2.0, 0.0, 1.0);
            vColor = aColor;
        }
        """, """
        #version 330 core
        in vec4 vColor;
        out vec4 fragColor;
        void main() { fragColor = vColor; }
        """)
    {
        _size = Uniform("uSize");
    }

    public void Use(int width, int height)
    {
        Gl.UseProgram(Handle);
        Gl.Uniform2(_size, (float)width, height);
    }
}

/// <summary>
/// The video, over the whole frame or over one rectangle. Distortion 1: each colour plane sampled
/// from its own translation (a plane moved by +o shows the source at p − o). Distortion 2, one
/// bubble per draw over its bounding square: inside the circle the pixel shows the source at
/// p + A·cos(5·g·t + x/300), outside it nothing is drawn (the plain video drawn first shows).
/// </summary>
internal sealed class VideoProgram : ShaderProgram
{
    private readonly int _size, _rect, _mode, _red, _green, _blue, _gradient, _time, _amplitude, _bubble, _uvScale, _uvOffset, _video;

    public VideoProgram(GL gl) : base(gl, """
        #version 330 core
        uniform vec2 uSize;
        uniform vec4 uRect;
        void main() {
            vec2 corner = vec2(gl_VertexID & 1, gl_VertexID >> 1);
            vec2 pixel = uRect.xy + corner * uRect.zw;
            gl_Position = vec4(pixel.x / uSize.x * 2.0 - 1.0, 1.0 - pixel.y / uSize.y * 2.0, 0.0, 1.0);
        }
        """, """
        #version 330 core
        uniform sampler2D uVideo;
        uniform vec2 uSize;
        uniform int uMode;
        uniform vec2 uRed, uGreen, uBlue;
        uniform vec2 uGradient;
        uniform float uTime, uAmplitude;
        uniform vec3 uBubble;
        uniform vec2 uUvScale, uUvOffset;
        out vec4 fragColor;

        vec3 videoAt(vec2 pixel) { return texture(uVideo, pixel * uUvScale + uUvOffset).rgb; }

        void main() {
            vec2 pixel = vec2(gl_FragCoord.x, uSize.y - gl_FragCoord.y); // top-left origin, as the video
            if (uMode == 1) {
                fragColor = vec4(videoAt(pixel - uRed).r, videoAt(pixel - uGreen).g, videoAt(pixel - uBlue).b, 1.0);
            } else if (uMode == 2) {
                if (distance(pixel, uBubble.xy) >= uBubble.z) discard;
                fragColor = vec4(videoAt(pixel + uAmplitude * cos(5.0 * uGradient * uTime + pixel.x / 300.0)), 1.0);
            } else {
                fragColor = vec4(videoAt(pixel), 1.0);
            }
        }
        """)
    {
        _video = Uniform("uVideo");
        _size = Uniform("uSize");
        _rect = Uniform("uRect");
        _mode = Uniform("uMode");
        _red = Uniform("uRed");
        _green = Uniform("uGreen");
        _blue = Uniform("uBlue");
        _gradient = Uniform("uGradient");
        _time = Uniform("uTime");
        _amplitude = Uniform("uAmplitude");
        _bubble = Uniform("uBubble");
        _uvScale = Uniform("uUvScale");
        _uvOffset = Uniform("uUvOffset");
    }

    /// <summary>Sets everything of the distortion; <paramref name="mode"/> is the pass (0 plain, 1 planes, 2 one bubble).</summary>
    public void Use(int width, int height, in VideoDistortion d, int mode)
    {
        Gl.UseProgram(Handle);
        Gl.Uniform1(_video, 0);
        Gl.Uniform2(_size, (float)width, height);
        Gl.Uniform4(_rect, 0f, 0f, width, height);
        Gl.Uniform1(_mode, mode);
        Gl.Uniform2(_red, d.Red);
        Gl.Uniform2(_green, d.Green);
        Gl.Uniform2(_blue, d.Blue);
        Gl.Uniform2(_gradient, d.Gradient);
        Gl.Uniform1(_time, d.Time);
        Gl.Uniform1(_amplitude, d.Amplitude);
        Gl.Uniform2(_uvScale, d.UvScale);
        Gl.Uniform2(_uvOffset, d.UvOffset);
    }

    /// <summary>The next bubble pass: its circle, and the square around it that is drawn.</summary>
    public void Bubble(Vector3 bubble)
    {
        Gl.Uniform3(_bubble, bubble);
        float r = MathF.Ceiling(bubble.Z) + 1;
        Gl.Uniform4(_rect, bubble.X - r, bubble.Y - r, 2 * r, 2 * r);
    }
}

/// <summary>A texture drawn with its alpha at a pixel rectangle (the HUD).</summary>
internal sealed class ImageProgram : ShaderProgram
{
    private readonly int _size, _rect, _image;

    public ImageProgram(GL gl) : base(gl, """
        #version 330 core
        uniform vec2 uSize;
        uniform vec4 uRect;
        out vec2 vUv;
        void main() {
            vec2 corner = vec2(gl_VertexID & 1, gl_VertexID >> 1);
            vec2 pixel = uRect.xy + corner * uRect.zw;
            gl_Position = vec4(pixel.x / uSize.x * 2.0 - 1.0, 1.0 - pixel.y / uSize.y * 2.0, 0.0, 1.0);
            vUv = corner;
        }
        """, """
        #version 330 core
        uniform sampler2D uImage;
        in vec2 vUv;
        out vec4 fragColor;
        void main() { fragColor = texture(uImage, vUv); }
        """)
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
