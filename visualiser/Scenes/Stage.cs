using System.Numerics;
using Losses.Protocol;
using Losses.Visualiser.Graphics;

namespace Losses.Visualiser.Scenes;

/// <summary>How the camera's image is scaled to the frame (--video-sampling).</summary>
public enum VideoSampling
{
    /// <summary>Bilinear: the feed fits each image to the frame (<see cref="Video.FrameFitter"/>), drawn 1:1.</summary>
    Bilinear,
    /// <summary>
    /// The camera's pixels repeated (nearest), scaled by the GPU from the camera's own size: a blockier
    /// picture for a software-rendered projector, no resize on the feed's thread, a smaller upload.
    /// </summary>
    Nearest,
}

/// <summary>What a frame of the visuals shows besides the engine's state.</summary>
public sealed class StageOptions
{
    /// <summary>Curves and knots over the video (tests switch them off to look at the video alone).</summary>
    public bool Overlay { get; set; } = true;
    public bool Hud { get; set; }
    /// <summary>Extra HUD lines (fps, frames dropped, engine generation…).</summary>
    public string HudExtra { get; set; } = "";
    /// <summary>A message in the middle of the frame (waiting for the engine), or null.</summary>
    public string? Message { get; set; }
    /// <summary>A line at the bottom (no camera…), or null.</summary>
    public string? Notice { get; set; }
    /// <summary>Part 3 as the original piece draws it (<see cref="Distortions.OriginalChannelShift"/>).</summary>
    public bool Original { get; set; }
    public VideoSampling VideoSampling { get; set; }

    /// <summary>The size the video feed should fit its images to for a frame of this size (0 × 0: its own size).</summary>
    public (int Width, int Height) FitVideoTo(int width, int height) => VideoSampling == VideoSampling.Bilinear ? (width, height) : (0, 0);
}

/// <summary>
/// One frame of the piece, part by part as the seed describes it: part 1 the cubics on black,
/// part 2 the knots, part 3 the knots over the video with its colour planes pulled apart by the
/// gradients, part 4 the cubics over the video with a bubble for every key press.
/// </summary>
public sealed class Stage : IDisposable
{
    private readonly Gpu _gpu;
    private readonly TextPanel _hud;
    private readonly TextPanel _message;
    private readonly TextPanel _notice;
    private readonly Vector3[] _bubbles = new Vector3[VideoDistortion.MaxBubbles];
    private readonly Dictionary<FrameModel, IScene> _scenes = new() { [FrameModel.Cubic] = new CubicScene(), [FrameModel.Knot] = new KnotScene() };
    private uint _random = 0x9E3779B9; // xorshift32: the original's rand() per frame, the same sequence in every render

    public Stage(Gpu gpu)
    {
        _gpu = gpu;
        _hud = new TextPanel(gpu);
        _message = new TextPanel(gpu);
        _notice = new TextPanel(gpu);
    }

    public StageOptions Options { get; } = new();

    /// <summary>Draws frames of model kind <paramref name="kind"/> with <paramref name="scene"/> (a model the built-in scenes do not know).</summary>
    public void Add(FrameModel kind, IScene scene)
    {
        if (!_scenes.TryAdd(kind, scene)) throw new ArgumentException($"model kind {(int)kind} has a scene already", nameof(kind));
    }

    /// <summary>Draws the state at <paramref name="now"/> (seconds of the engine's clock) into the bound framebuffer.</summary>
    public void Draw(VisualState state, double now, Texture? video, int width, int height)
    {
        state.Expire(now);
        ref readonly Frame f = ref state.Current;
        int part = state.HasFrame ? f.Part : 1;
        bool drawVideo = part is 3 or 4 && video is { Width: > 0 };
        // The video's passes write every pixel, opaque (black outside the image): nothing to clear.
        _gpu.BeginFrame(width, height, clear: !drawVideo);

        if (drawVideo && video is not null)
        {
            VideoDistortion d = part != 3 ? Distortions.Bubbles(f, state, now, width, height, _bubbles)
                : Options.Original ? Distortions.OriginalChannelShift(f, NextChance()) : Distortions.ChannelShift(f);
            (d.UvScale, d.UvOffset) = Distortions.Cover(video.Width, video.Height, width, height);
            if (video.BottomUp) (d.UvScale.Y, d.UvOffset.Y) = (-d.UvScale.Y, 1 - d.UvOffset.Y);
            video.Smooth = Options.VideoSampling == VideoSampling.Bilinear && (video.Width != width || video.Height != height);
            _gpu.DrawVideo(video, d);
        }

        if (Options.Overlay && state.HasFrame && _scenes.TryGetValue(f.Model, out IScene? scene))
            scene.Draw(_gpu, state, now);

        float margin = height / 60f;
        if (Options.Hud)
        {
            _hud.Set(HudText(state) + Options.HudExtra, height);
            _hud.Draw(_gpu, margin, margin);
        }
        if (Options.Message is { } message)
        {
            _message.Set(message, height);
            _message.Draw(_gpu, (width - _message.Width) / 2f, (height - _message.Height) / 2f);
        }
        if (Options.Notice is { } notice)
        {
            _notice.Set(notice, height);
            _notice.Draw(_gpu, margin, height - margin - _notice.Height);
        }
    }

    private float NextChance()
    {
        _random ^= _random << 13;
        _random ^= _random >> 17;
        _random ^= _random << 5;
        return (_random >> 8) * (1f / (1 << 24));
    }

    private string HudText(VisualState state)
    {
        if (!state.HasFrame) return "no frame yet";
        ref readonly Frame f = ref state.Current;
        string model = _scenes.TryGetValue(f.Model, out IScene? scene) ? scene.Describe(f)
            : f.Model == FrameModel.None ? "no model yet" : $"model {(int)f.Model} (no scene for it)";
        return $"part {f.Part}   {model}\n" +
               $"loss {f.Loss:0.00000}   detune {f.Detune:0.0000}\n" +
               $"grad {f.Gradient[0]:+0.0000;-0.0000;0.0000} {f.Gradient[1]:+0.0000;-0.0000;0.0000} {f.Gradient[2]:+0.0000;-0.0000;0.0000} {f.Gradient[3]:+0.0000;-0.0000;0.0000}\n" +
               $"steps {f.TargetSteps} of this target, {f.TotalSteps} in all   t {f.SampleTime / (double)Math.Max(1, f.SampleRate):0.00} s";
    }

    public void Dispose()
    {
        _hud.Dispose();
        _message.Dispose();
        _notice.Dispose();
    }
}
