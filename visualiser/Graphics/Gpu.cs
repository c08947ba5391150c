using System.Numerics;
using Losses.Protocol;
using Silk.NET.OpenGL;

namespace Losses.Visualiser.Graphics;

/// <summary>
/// The only code that talks to OpenGL (as rlgl is raylib's). Scenes hand it the model's numbers,
/// textures and uniforms in pixels; the geometry is computed by the shaders (visualiser/Shaders, the
/// same files the browser page draws with). It owns every GL object and frees each one it made.
/// Pixel coordinates have their origin at the top-left, as in a video frame.
/// </summary>
public sealed unsafe class Gpu : IDisposable
{
    private readonly GL _gl;
    private readonly SceneProgram _scene;
    private readonly VideoProgram _video, _videoPlanes;
    private readonly BubbleProgram _bubbles;
    private readonly PatternProgram _pattern;
    private readonly ImageProgram _image;
    private readonly uint _emptyVao;

    public Gpu(Func<string, nint> getProcAddress)
    {
        _gl = GL.GetApi(getProcAddress);
        Renderer = _gl.GetStringS(StringName.Renderer) ?? "unknown";
        _scene = new SceneProgram(_gl);
        _video = new VideoProgram(_gl, planes: false);
        _videoPlanes = new VideoProgram(_gl, planes: true);
        _bubbles = new BubbleProgram(_gl);
        _pattern = new PatternProgram(_gl);
        _image = new ImageProgram(_gl);
        // Every program makes its vertices from gl_VertexID: one empty vertex array for all.
        _emptyVao = _gl.GenVertexArray();
        _gl.PixelStore(PixelStoreParameter.UnpackAlignment, 1);
        _gl.PixelStore(PixelStoreParameter.PackAlignment, 1);
    }

    /// <summary>GL_RENDERER, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".</summary>
    public string Renderer { get; }

    public int Width { get; private set; }
    public int Height { get; private set; }

    /// <summary>
    /// Starts a frame of <paramref name="width"/>×<paramref name="height"/> pixels into the bound
    /// framebuffer, cleared to black unless <paramref name="clear"/> is false (the video is drawn over
    /// every pixel first: a 1080p clear costs llvmpipe about a millisecond).
    /// </summary>
    public void BeginFrame(int width, int height, bool clear = true)
    {
        Width = width;
        Height = height;
        _gl.Viewport(0, 0, (uint)width, (uint)height);
        if (clear)
        {
            _gl.ClearColor(0, 0, 0, 1);
            _gl.Clear(ClearBufferMask.ColorBufferBit);
        }
        _gl.Disable(EnableCap.DepthTest);
        _gl.Enable(EnableCap.Blend);
        _gl.BlendFunc(BlendingFactor.SrcAlpha, BlendingFactor.OneMinusSrcAlpha);
    }

    /// <summary>
    /// Draws one piece of the scene (scene.vert): a cubic or knot curve (<paramref name="learned"/>
    /// picks θ and red over the target in white), the error segments or the sample points at
    /// <paramref name="points"/>; <paramref name="age"/> ≥ 0 draws a lingering cubic that faded and
    /// drifted that many seconds.
    /// </summary>
    public void DrawScene(SceneShape shape, bool learned, in Float4 target, in Float4 theta, in Int3 knotN = default,
        float orbit = 0, float age = -1, Vector2 drift = default, ReadOnlySpan<float> points = default)
    {
        _scene.Use(Width, Height);
        uint vertices = _scene.Set(shape, learned, target, theta, knotN, orbit, age, drift, points);
        if (vertices == 0) return;
        _gl.BindVertexArray(_emptyVao);
        _gl.DrawArrays(PrimitiveType.Triangles, 0, vertices);
        _gl.BindVertexArray(0);
    }

    /// <summary>
    /// Draws the generated feed at <paramref name="seconds"/> into <paramref name="texture"/>
    /// (<paramref name="width"/>×<paramref name="height"/>), then binds back the framebuffer that was bound.
    /// </summary>
    public void DrawPattern(Texture texture, int width, int height, float seconds)
    {
        _gl.GetInteger(GetPName.DrawFramebufferBinding, out int previous);
        texture.BindAsTarget(width, height);
        _gl.Viewport(0, 0, (uint)width, (uint)height);
        _gl.Disable(EnableCap.Blend);
        _pattern.Use(width, height, seconds);
        _gl.BindVertexArray(_emptyVao);
        _gl.DrawArrays(PrimitiveType.TriangleStrip, 0, 4);
        _gl.BindVertexArray(0);
        _gl.Enable(EnableCap.Blend);
        _gl.BindFramebuffer(FramebufferTarget.Framebuffer, (uint)previous);
        _gl.Viewport(0, 0, (uint)Width, (uint)Height);
    }

    /// <summary>
    /// Draws the video over the whole frame through one of the distortions. Bubbles are drawn one
    /// by one over their own squares after the plain video, oldest first: a per-pixel loop over
    /// every bubble costs llvmpipe 30× more.
    /// </summary>
    public void DrawVideo(Texture video, in VideoDistortion distortion)
    {
        _gl.Disable(EnableCap.Blend);
        _gl.ActiveTexture(TextureUnit.Texture0);
        _gl.BindTexture(TextureTarget.Texture2D, video.Handle);
        _gl.BindVertexArray(_emptyVao);
        if (!CopyPlainVideo(video, distortion))
        {
            (distortion.Mode == 1 ? _videoPlanes : _video).Use(Width, Height, distortion);
            _gl.DrawArrays(PrimitiveType.TriangleStrip, 0, 4);
        }
        if (distortion.Mode == 2 && distortion.Bubbles is { } bubbles)
        {
            _bubbles.Use(Width, Height, distortion);
            for (int i = Math.Min(distortion.BubbleCount, bubbles.Length) - 1; i >= 0; i--)
            {
                _bubbles.Bubble(bubbles[i]);
                _gl.DrawArrays(PrimitiveType.TriangleStrip, 0, 4);
            }
        }
        _gl.BindVertexArray(0);
        _gl.Enable(EnableCap.Blend);
    }

    /// <summary>
    /// The plain video (part 4's background) of a fitted texture, the frame's size and bottom row
    /// first, is a straight copy: a blit llvmpipe does as a memory copy into a framebuffer of the same
    /// format (RGBA8 offscreen), 8–11 ms of CPU a frame less than shading it at 1080p; into a BGRX
    /// window it converts, and measured the same as shading (docs/visualiser.md, "1920×1080").
    /// </summary>
    private bool CopyPlainVideo(Texture video, in VideoDistortion distortion)
    {
        if (!CopyVideo || distortion.Mode == 1 || !video.BottomUp || video.Width != Width || video.Height != Height
            || distortion.Red != Vector2.Zero) return false;
        _gl.GetInteger(GetPName.DrawFramebufferBinding, out int draw);
        video.BindAsReadSource();
        _gl.BlitFramebuffer(0, 0, Width, Height, 0, 0, Width, Height, ClearBufferMask.ColorBufferBit, BlitFramebufferFilter.Nearest);
        _gl.BindFramebuffer(FramebufferTarget.ReadFramebuffer, (uint)draw);
        VideoCopies++;
        return true;
    }

    /// <summary>How many times the plain video was copied rather than shaded.</summary>
    public long VideoCopies { get; private set; }

    /// <summary>Copy the plain video of a fitted texture instead of shading it; LOSSES_COPY_VIDEO=0 shades it (to measure the two side by side).</summary>
    public bool CopyVideo { get; set; } = Environment.GetEnvironmentVariable("LOSSES_COPY_VIDEO") != "0";

    /// <summary>Draws an image (e.g. the HUD) with alpha at a pixel rectangle.</summary>
    public void DrawImage(Texture image, float x, float y, float width, float height)
    {
        _gl.ActiveTexture(TextureUnit.Texture0);
        _gl.BindTexture(TextureTarget.Texture2D, image.Handle);
        _image.Use(Width, Height, new Vector4(x, y, width, height));
        _gl.BindVertexArray(_emptyVao);
        _gl.DrawArrays(PrimitiveType.TriangleStrip, 0, 4);
        _gl.BindVertexArray(0);
    }

    public Texture LoadTexture() => new(_gl);

    public RenderTarget LoadRenderTarget(int width, int height) => new(_gl, width, height);

    /// <summary>Blocks until the GPU (llvmpipe's threads) has finished every command: for honest timing.</summary>
    public void Finish() => _gl.Finish();

    /// <summary>Reads the current framebuffer as BGR rows, top row first, into <paramref name="bgr"/> (width·height·3 bytes).</summary>
    public void ReadPixels(Span<byte> bgr, Span<byte> scratch)
    {
        int stride = Width * 3;
        if (bgr.Length < stride * Height || scratch.Length < stride * Height) throw new ArgumentException("buffer too small");
        fixed (byte* p = scratch)
            _gl.ReadPixels(0, 0, (uint)Width, (uint)Height, PixelFormat.Bgr, PixelType.UnsignedByte, p);
        // GL's first row is the bottom one.
        for (int row = 0; row < Height; row++)
            scratch.Slice((Height - 1 - row) * stride, stride).CopyTo(bgr.Slice(row * stride, stride));
    }

    public void Dispose()
    {
        _scene.Dispose();
        _pattern.Dispose();
        _video.Dispose();
        _videoPlanes.Dispose();
        _bubbles.Dispose();
        _image.Dispose();
        _gl.DeleteVertexArray(_emptyVao);
        _gl.Dispose();
    }
}

/// <summary>How the video layer is distorted this frame (pixels of the output).</summary>
public struct VideoDistortion
{
    public const int MaxBubbles = Scenes.VisualState.MaxBubbles;

    /// <summary>0 none, 1 RGB planes translated (Distortion 1), 2 bubbles (Distortion 2).</summary>
    public int Mode;
    /// <summary>Distortion 1: translation of the R, G and B planes in pixels.</summary>
    public Vector2 Red, Green, Blue;
    /// <summary>Distortion 2: the clamped gradient g and the time t in cos(5·g·t + x/300).</summary>
    public Vector2 Gradient;
    public float Time;
    /// <summary>Distortion 2: amplitude of the displacement in pixels.</summary>
    public float Amplitude;
    /// <summary>Distortion 2: centre x, y and radius of each live bubble, pixels, youngest first (it shows on top).</summary>
    public Vector3[]? Bubbles;
    public int BubbleCount;
    /// <summary>Maps output pixels to video texture coordinates: uv = pixel·Scale + Offset (crops to keep the video's aspect).</summary>
    public Vector2 UvScale, UvOffset;
}
