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
/// The video over the whole frame, each colour plane sampled from its own translation (a plane
/// moved by +o shows the source at p − o): Distortion 1; or the plain video.
/// Every texture coordinate is a linear function of the pixel, so it is worked out at the corners
/// and interpolated: no per-fragment arithmetic and no branches, which llvmpipe turns into its
/// fastest code (a third of the time of one shader doing every mode).
/// </summary>
internal sealed class VideoProgram : ShaderProgram
{
    private readonly int _size, _red, _green, _blue, _uvScale, _uvOffset, _video;
    private readonly bool _planes;

    /// <summary><paramref name="planes"/>: each plane from its own translation; else the plain video (one sample, its own program: llvmpipe's fast path).</summary>
    public VideoProgram(GL gl, bool planes) : base(gl, """
        #version 330 core
        uniform vec2 uSize;
        uniform vec2 uRed, uGreen, uBlue;
        uniform vec2 uUvScale, uUvOffset;
        out vec2 vRed, vGreen, vBlue;
        void main() {
            vec2 pixel = vec2(gl_VertexID & 1, gl_VertexID >> 1) * uSize; // top-left origin, as the video
            gl_Position = vec4(pixel.x / uSize.x * 2.0 - 1.0, 1.0 - pixel.y / uSize.y * 2.0, 0.0, 1.0);
            vRed = (pixel - uRed) * uUvScale + uUvOffset;
            vGreen = (pixel - uGreen) * uUvScale + uUvOffset;
            vBlue = (pixel - uBlue) * uUvScale + uUvOffset;
        }
        """, planes ? """
        #version 330 core
        uniform sampler2D uVideo;
        in vec2 vRed, vGreen, vBlue;
        out vec4 fragColor;
        void main() { fragColor = vec4(texture(uVideo, vRed).r, texture(uVideo, vGreen).g, texture(uVideo, vBlue).b, 1.0); }
        """ : """
        #version 330 core
        uniform sampler2D uVideo;
        in vec2 vRed;
        out vec4 fragColor;
        void main() { fragColor = vec4(texture(uVideo, vRed).rgb, 1.0); }
        """)
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

/// <summary>
/// Distortion 2, one bubble per draw over its bounding square: inside the circle the pixel shows
/// the source at p + A·cos(5·g·t + x/300), outside it nothing is drawn (the plain video drawn
/// first shows).
/// </summary>
internal sealed class BubbleProgram : ShaderProgram
{
    private readonly int _size, _rect, _gradient, _time, _amplitude, _bubble, _uvScale, _uvOffset, _video;

    public BubbleProgram(GL gl) : base(gl, """
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
        uniform vec2 uGradient;
        uniform float uTime, uAmplitude;
        uniform vec3 uBubble;
        uniform vec2 uUvScale, uUvOffset;
        out vec4 fragColor;
        void main() {
            vec2 pixel = vec2(gl_FragCoord.x, uSize.y - gl_FragCoord.y); // top-left origin, as the video
            if (distance(pixel, uBubble.xy) >= uBubble.z) discard;
            vec2 source = pixel + uAmplitude * cos(5.0 * uGradient * uTime + pixel.x / 300.0);
            fragColor = vec4(texture(uVideo, source * uUvScale + uUvOffset).rgb, 1.0);
        }
        """)
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
