using Silk.NET.OpenGL;

namespace Losses.Visualiser.Graphics;

/// <summary>
/// A 2D texture fed with BGR or BGRA rows (OpenCV's order), top row first, or a fitted image's RGBA
/// rows, bottom row first (<see cref="BottomUp"/>).
/// Stored RGBA8: RGBA rows are a plain copy, BGRA rows are swizzled on upload (1280×720 ≈ 1–2 ms of
/// llvmpipe's time, 1920×1080 3.6 ms), BGR rows converted pixel by pixel, so the video feeds hand
/// over RGBA (<see cref="Video.FrameFitter"/>). Not stored BGRA (the unsized GL_RGBA
/// format with BGRA rows, a plain copy of 0.2 ms) on purpose: a BGRA texture drawn into a BGRA
/// framebuffer puts Mesa 22.3's llvmpipe on its "linear" path, twice as fast and wrong — whole
/// 64×64 tiles of a 1:1 copy come out garbled, and the three bilinear samples of Distortion 1 crash
/// the process (docs/visualiser.md, "1920×1080"). A window's framebuffer is usually BGRA.
/// </summary>
public sealed unsafe class Texture : IDisposable
{
    private readonly GL _gl;
    private int _channels;

    internal Texture(GL gl)
    {
        _gl = gl;
        Handle = gl.GenTexture();
        gl.BindTexture(TextureTarget.Texture2D, Handle);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMinFilter, (int)TextureMinFilter.Linear);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMagFilter, (int)TextureMagFilter.Linear);
        // Pixels moved in from outside the image are black (the default border colour), not smeared edges.
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapS, (int)TextureWrapMode.ClampToBorder);
        gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureWrapT, (int)TextureWrapMode.ClampToBorder);
    }

    internal uint Handle { get; }
    private bool _smooth = true;

    /// <summary>
    /// Linear filtering (true) or nearest. Nearest is the same picture when the texture maps 1:1 to
    /// the frame's pixels and costs llvmpipe about a third less per sample.
    /// </summary>
    public bool Smooth
    {
        get => _smooth;
        set
        {
            if (value == _smooth) return;
            _smooth = value;
            _gl.BindTexture(TextureTarget.Texture2D, Handle);
            _gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMinFilter, (int)(value ? TextureMinFilter.Linear : TextureMinFilter.Nearest));
            _gl.TexParameter(TextureTarget.Texture2D, TextureParameterName.TextureMagFilter, (int)(value ? TextureMagFilter.Linear : TextureMagFilter.Nearest));
        }
    }
    public int Width { get; private set; }
    public int Height { get; private set; }
    /// <summary>The image's bottom row is the texture's first (OpenGL's order); otherwise its top row.</summary>
    public bool BottomUp { get; private set; }

    /// <summary>
    /// Uploads an image of BGR or BGRA rows, or RGBA rows when <paramref name="rgba"/> (4 channels);
    /// <paramref name="stride"/> in bytes (OpenCV rows may be padded); <paramref name="bottomUp"/>:
    /// the rows come bottom row first.
    /// </summary>
    public void Upload(int width, int height, int channels, nint data, long stride, bool rgba = false, bool bottomUp = false)
    {
        BottomUp = bottomUp;
        if (channels is not (3 or 4) || (rgba && channels != 4)) throw new ArgumentOutOfRangeException(nameof(channels));
        _gl.BindTexture(TextureTarget.Texture2D, Handle);
        _gl.PixelStore(PixelStoreParameter.UnpackRowLength, (int)(stride / channels));
        PixelFormat format = rgba ? PixelFormat.Rgba : channels == 3 ? PixelFormat.Bgr : PixelFormat.Bgra;
        PixelType type = rgba || channels == 3 ? PixelType.UnsignedByte : PixelType.UnsignedInt8888Rev;
        if (width != Width || height != Height || channels != _channels)
        {
            _gl.TexImage2D(TextureTarget.Texture2D, 0, InternalFormat.Rgba8, (uint)width, (uint)height, 0, format, type, (void*)data);
            Width = width;
            Height = height;
            _channels = channels;
        }
        else
        {
            _gl.TexSubImage2D(TextureTarget.Texture2D, 0, 0, 0, (uint)width, (uint)height, format, type, (void*)data);
        }
        _gl.PixelStore(PixelStoreParameter.UnpackRowLength, 0);
    }

    private uint _framebuffer;

    /// <summary>
    /// Makes this texture <paramref name="width"/>×<paramref name="height"/> RGBA8 and binds it as
    /// the framebuffer to draw into (the generated feed is drawn on the GPU). Row 0 is the first
    /// row drawn (gl_FragCoord.y = 0.5): the top of the image, as an uploaded frame's.
    /// </summary>
    public void BindAsTarget(int width, int height)
    {
        BottomUp = false;
        if (width != Width || height != Height || _channels != 4)
        {
            _gl.BindTexture(TextureTarget.Texture2D, Handle);
            _gl.TexImage2D(TextureTarget.Texture2D, 0, InternalFormat.Rgba8, (uint)width, (uint)height, 0, PixelFormat.Rgba, PixelType.UnsignedByte, null);
            (Width, Height, _channels) = (width, height, 4);
        }
        if (_framebuffer == 0)
        {
            _framebuffer = _gl.GenFramebuffer();
            _gl.BindFramebuffer(FramebufferTarget.Framebuffer, _framebuffer);
            _gl.FramebufferTexture2D(FramebufferTarget.Framebuffer, FramebufferAttachment.ColorAttachment0, TextureTarget.Texture2D, Handle, 0);
        }
        _gl.BindFramebuffer(FramebufferTarget.Framebuffer, _framebuffer);
    }

    /// <summary>Binds this texture as the framebuffer to read from (a blit's source); the draw framebuffer stays.</summary>
    internal void BindAsReadSource()
    {
        if (_framebuffer == 0)
        {
            _framebuffer = _gl.GenFramebuffer();
            _gl.BindFramebuffer(FramebufferTarget.ReadFramebuffer, _framebuffer);
            _gl.FramebufferTexture2D(FramebufferTarget.ReadFramebuffer, FramebufferAttachment.ColorAttachment0, TextureTarget.Texture2D, Handle, 0);
        }
        _gl.BindFramebuffer(FramebufferTarget.ReadFramebuffer, _framebuffer);
    }

    public void Dispose()
    {
        if (_framebuffer != 0) _gl.DeleteFramebuffer(_framebuffer);
        _gl.DeleteTexture(Handle);
    }
}

/// <summary>An offscreen framebuffer (RGBA8) to draw into headless.</summary>
public sealed class RenderTarget : IDisposable
{
    private readonly GL _gl;
    private readonly uint _framebuffer;
    private readonly uint _color;

    internal RenderTarget(GL gl, int width, int height)
    {
        _gl = gl;
        Width = width;
        Height = height;
        _framebuffer = gl.GenFramebuffer();
        _color = gl.GenRenderbuffer();
        gl.BindRenderbuffer(RenderbufferTarget.Renderbuffer, _color);
        gl.RenderbufferStorage(RenderbufferTarget.Renderbuffer, InternalFormat.Rgba8, (uint)width, (uint)height);
        gl.BindFramebuffer(FramebufferTarget.Framebuffer, _framebuffer);
        gl.FramebufferRenderbuffer(FramebufferTarget.Framebuffer, FramebufferAttachment.ColorAttachment0, RenderbufferTarget.Renderbuffer, _color);
        var status = gl.CheckFramebufferStatus(FramebufferTarget.Framebuffer);
        if (status != GLEnum.FramebufferComplete) throw new VisualiserException($"cannot make a {width}x{height} framebuffer ({status})");
    }

    public int Width { get; }
    public int Height { get; }

    public void Bind() => _gl.BindFramebuffer(FramebufferTarget.Framebuffer, _framebuffer);

    public void Dispose()
    {
        _gl.BindFramebuffer(FramebufferTarget.Framebuffer, 0);
        _gl.DeleteFramebuffer(_framebuffer);
        _gl.DeleteRenderbuffer(_color);
    }
}
