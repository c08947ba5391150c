using System.Numerics;
using Losses.Engine.Audio;
using Losses.Engine.Config;
using Losses.Engine.Midi;
using Losses.Engine.Parts;
using Losses.Protocol;
using Losses.Tests.Cli;
using Losses.Tests.Learning;
using Losses.Tests.Visualiser;
using Losses.Visualiser.Modes;
using Losses.Visualiser.Scenes;
using OpenCvSharp;
using static Losses.Tests.Audio.Rendering;

namespace Losses.Tests.Parts;

/// <summary>
/// Models are plug-ins of the piece: a model the engine has never heard of — the tests' sine fit —
/// is one class (<see cref="SineFitModel"/>), one contract subclass, one scene
/// (<see cref="SineFitScene"/>) and the catalog entry below; a config's <c>piece.parts</c> names it,
/// the piece plays it by its part rule, the frame carries it, and the visualiser draws it.
/// </summary>
public sealed class ThirdModelTests
{
    private const FrameModel SineKind = (FrameModel)3;

    private static readonly ModelCatalog WithSine = ModelCatalog.BuiltIn.With(new ModelEntry("sine", SineKind, PartRule.BassNote,
        c => new SineFitModel(64), c => c.Learning.StopLoss, c => c.Detune.CubicMultiplier));

    private sealed class FrameList : IFrameSink
    {
        public List<Frame> Frames { get; } = [];
        public void Publish(in Frame frame) => Frames.Add(frame);
    }

    private static (Result Result, List<Frame> Frames) Play(string[] parts, ModelCatalog catalog)
    {
        const int rate = 48000;
        var config = EngineConfig.Default with { Piece = EngineConfig.Default.Piece with { Parts = PartModels.Create(parts) } };
        TimedMidiEvent[] events = MidiPerformance.Load(TestFiles.FourParts, rate).Events;
        var sink = new FrameList();
        Result r = Run(events, events[^1].SampleTime + rate, block: 256, config: config, seed: 3, models: catalog, frames: sink);
        return (r, sink.Frames);
    }

    [Fact]
    public void A_sine_fit_named_in_the_config_trains_in_parts_1_and_4_and_reaches_the_frames()
    {
        var (r, frames) = Play(["sine", "knot", "knot", "sine"], WithSine);
        Piece piece = r.Processor.Piece;

        Assert.Equal(["sine", "knot"], Enumerable.Range(0, piece.Models.Length).Select(piece.ModelName));
        Assert.IsType<SineFitModel>(piece.Models[0]);
        TargetRecord[] targets = piece.Targets.ToArray();
        Assert.Contains(targets, t => t.Model == "sine");
        Assert.Contains(targets, t => t.Model == "knot");
        Assert.All(targets, t => Assert.Equal(t.Part is 1 or 4 ? "sine" : "knot", t.Model));
        // Gradient descent: each sine target trained for 5 steps or more ends far below where it started.
        TargetRecord[] trained = targets.Where(t => t.Model == "sine" && t.Steps >= 5).ToArray();
        Assert.NotEmpty(trained);
        Assert.All(trained, t => Assert.True(t.FinalLoss < t.FirstLoss / 10, $"a sine target from {t.FirstLoss} to {t.FinalLoss} in {t.Steps} steps"));

        // The frame carries the model's kind from the catalog and its three parameters.
        Frame[] sineFrames = frames.Where(f => f.Model == SineKind).ToArray();
        Assert.NotEmpty(sineFrames);
        Assert.All(sineFrames, f => Assert.True(f.Part is 1 or 4));
        Assert.All(sineFrames, f => Assert.Equal(0f, f.Target[3]));
        Assert.Contains(sineFrames, f => f.Target[0] != 0f && f.Theta[0] != 0f);
        Assert.Contains(frames, f => f.Model == FrameModel.Knot);
        Assert.DoesNotContain(frames, f => f.Model == FrameModel.Cubic);
        // The frame's per-kind target counts are the built-in kinds': no cubic here.
        Assert.All(frames, f => Assert.Equal(0, f.CubicTargets));
    }

    [Fact]
    public void The_visualiser_draws_the_engines_sine_frame_with_the_scene_it_is_given()
    {
        var (_, frames) = Play(["sine", "knot", "knot", "sine"], WithSine);
        // A frame just after a new target: the learned curve is still far from the target.
        Frame f = frames.First(f => f.Model == SineKind && (f.Flags & FrameFlags.NewTarget) != 0);
        const int w = 320, h = 180;
        using OffscreenRenderer r = OffscreenRenderer.Create(w, h);
        var state = new VisualState();
        state.Apply(f);

        r.Draw(state, 1.0);
        Mat without = r.Read();
        Assert.Equal(0, Cv2.CountNonZero(without.CvtColor(ColorConversionCodes.BGR2GRAY))); // no scene for kind 3: nothing drawn

        r.Stage.Add(SineKind, new SineFitScene());
        r.Draw(state, 1.0);
        Mat image = r.Read();
        r.SavePng(Path.Combine(EngineCli.TempDir(), "sine-fit.png"));

        // Where the cubic's view puts a value v at x: 0.45·W·x/1.05 right of the centre, 0.45·H·v/3 above it.
        static Vector2 Pixel(double x, double v) => new((float)(w / 2.0 + 0.45 * w * x / 1.05), (float)(h / 2.0 - 0.45 * h * v / 3));
        static double Curve(in Float4 c, double x) => c[0] * Math.Sin(Math.PI * x) + c[1] * Math.Cos(Math.PI * x) + c[2];
        int checkedPoints = 0;
        for (double x = -0.95; x < 1; x += 0.1)
        {
            Vector2 t = Pixel(x, Curve(f.Target, x)), l = Pixel(x, Curve(f.Theta, x));
            if (Vector2.Distance(t, l) < 12) continue; // where the curves cross, red covers white
            checkedPoints++;
            Assert.True(VisualiserKit.Near(image, t, 2, c => c.Item0 > 200 && c.Item1 > 200 && c.Item2 > 200), $"no white target pixel near {t} (x = {x:0.00})");
            Assert.True(VisualiserKit.Near(image, l, 2, c => c.Item2 > 200 && c.Item1 < 110 && c.Item0 < 110), $"no red learned pixel near {l} (x = {x:0.00})");
        }
        Assert.True(checkedPoints >= 5, $"only {checkedPoints} places to check");
    }

    [Fact]
    public void Parts_may_swap_their_models_and_each_target_is_drawn_by_its_parts_model()
    {
        var (r, _) = Play(["knot", "cubic", "cubic", "knot"], ModelCatalog.BuiltIn);
        Piece piece = r.Processor.Piece;
        Assert.Equal(["knot", "cubic"], Enumerable.Range(0, piece.Models.Length).Select(piece.ModelName));
        TargetRecord[] targets = piece.Targets.ToArray();
        Assert.NotEmpty(targets);
        Assert.All(targets, t => Assert.Equal(t.Part is 1 or 4 ? "knot" : "cubic", t.Model));
    }

    [Fact]
    public void A_catalog_refuses_a_second_model_of_a_name_or_kind_and_a_config_naming_no_model()
    {
        Assert.Throws<ArgumentException>(() => WithSine.With(new ModelEntry("sine", (FrameModel)4, PartRule.Chord, c => new SineFitModel(8), c => 0, c => 1)));
        Assert.Throws<ArgumentException>(() => WithSine.With(new ModelEntry("other", SineKind, PartRule.Chord, c => new SineFitModel(8), c => 0, c => 1)));
        var e = Assert.Throws<ConfigException>(() => Play(["sine", "knot", "knot", "cubic"], ModelCatalog.BuiltIn));
        Assert.Equal("'piece.parts' names the model 'sine', which is not one of \"cubic\", \"knot\"", e.Message);
    }
}
