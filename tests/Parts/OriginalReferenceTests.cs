using Losses.Engine.Config;
using Losses.Engine.Core;
using Losses.Engine.Learning;
using Losses.Engine.Midi;
using Losses.Engine.Osc;
using Losses.Protocol;
using Losses.Protocol.Osc;
using Xunit.Abstractions;
using static Losses.Tests.Audio.Rendering;

namespace Losses.Tests.Parts;

/// <summary>
/// The original piece's two models and their messages, written from the facts sheet
/// (shared/original-ldd.md), in double, with none of the engine's models or piece: only its
/// random generator, as the source of the same uniform draws in the order the models document.
/// </summary>
internal sealed class OriginalLdd(ulong seed, int sampleRate)
{
    /// <summary>One gradient step: which model, its loss and the detune d it sends (/detune or /detuneChord).</summary>
    public readonly record struct Step(string Model, double Loss, double Detune, long Sample, int[] Notes);

    /// <summary>What the original sends after a step: /detune note d for each note of the cubic, or /detuneChord d n1 n2 n3.</summary>
    public static List<(string Address, double D, int[] Notes)> Messages(Step step)
    {
        if (step.Model == "cubic") return step.Notes.Select(n => ("/detune", step.Detune, new[] { n })).ToList();
        int[] slots = [.. step.Notes, .. Enumerable.Repeat(-1, Math.Max(0, 3 - step.Notes.Length))];
        return [("/detuneChord", step.Detune, slots)];
    }

    public readonly List<Step> Steps = [];
    private Rng _rng = new(seed, stream: 1);
    private int _part = 1;
    private bool _listening = true;

    // Cubic: f(x) = a x³ + b x² + c x + d.
    private readonly double[] _target = new double[4], _theta = new double[4], _x = new double[100];
    private bool _hasCubic;
    private double _cubicLoss = double.MaxValue;
    private readonly List<int> _cubicNotes = [];
    private readonly List<int> _bassNotes = [];

    // Knot: cos(n t + p) per axis, t = 0, 0.1, …, 100.
    private readonly int[] _n = new int[3];
    private readonly double[] _phase = new double[3], _learned = new double[3];
    private bool _hasKnot;
    private double _knotLoss = double.MaxValue;
    private long _lastKnot;

    public void NoteOn(int note, long sample)
    {
        if (_part is 1 or 4)
        {
            if (note < 48 || !_hasCubic) NewCubic(sample);
            if (note >= 48) _cubicNotes.Add(note);
            CubicStep(sample);
        }
        else if (note < 60) _bassNotes.Add(note);
        if (_part is 2 or 3 && note < 60 && (!_hasKnot || sample - _lastKnot >= 2 * sampleRate))
        {
            _lastKnot = sample;
            for (int j = 0; j < 3; j++) _n[j] = _rng.NextInt(0, 8);
            for (int j = 0; j < 3; j++) _phase[j] = _rng.NextFloat();
            for (int j = 0; j < 3; j++) _learned[j] = _rng.NextFloat();
            _hasKnot = true;
            _knotLoss = double.MaxValue;
        }
    }

    public void NoteOff(int note)
    {
        if (_part is 1 or 4) _cubicNotes.Remove(note);
        else if (note < 60) _bassNotes.Clear();
    }

    public void SoftPedal(int value)
    {
        if (_listening && value > 0)
        {
            _part = _part % 4 + 1;
            _listening = false;
            _cubicNotes.Clear(); // a new part's cubic starts afresh
        }
        else if (value == 0) _listening = true;
    }

    /// <summary>A video frame: the knot steps in parts 2 and 3; the current cubic while it has notes.</summary>
    public void Frame(long sample)
    {
        if (_part is 2 or 3) { if (_hasKnot) KnotStep(sample); }
        else if (_hasCubic && _cubicNotes.Count > 0) CubicStep(sample);
    }

    private void NewCubic(long sample)
    {
        for (int j = 0; j < 4; j++) _target[j] = _rng.Uniform(-1f, 1f);
        for (int j = 0; j < 4; j++) _theta[j] = _rng.Uniform(-1f, 1f);
        for (int i = 0; i < _x.Length; i++) _x[i] = _rng.Uniform(-1f, 1f);
        _hasCubic = true;
        _cubicNotes.Clear();
        _cubicLoss = double.MaxValue;
        CubicStep(sample);
    }

    private static double Cubic(double[] c, double x) => c[0] * x * x * x + c[1] * x * x + c[2] * x + c[3];

    private void CubicStep(long sample)
    {
        if (_cubicLoss < 0.001) return;
        double loss = 0, signed = 0;
        var g = new double[4];
        foreach (double x in _x)
        {
            double r = Cubic(_theta, x) - Cubic(_target, x);
            loss += 0.5 * r * r;
            signed += r;
            double[] phi = [x * x * x, x * x, x, 1];
            for (int j = 0; j < 4; j++) g[j] += r * phi[j] / _x.Length;
        }
        loss /= _x.Length;
        signed /= _x.Length;
        for (int j = 0; j < 4; j++) _theta[j] -= 0.01 * g[j];
        _cubicLoss = loss;
        Steps.Add(new Step("cubic", loss, signed * 0.05, sample, [.. _cubicNotes]));
    }

    private void KnotStep(long sample)
    {
        if (_knotLoss < 1e-6) return;
        const int Batch = 64;
        double loss = 0, signed = 0;
        var g = new double[3];
        for (int b = 0; b < Batch; b++)
        {
            double t = _rng.NextInt(0, 1000) * 0.1;
            for (int j = 0; j < 3; j++)
            {
                double r = Math.Cos(_n[j] * t + _learned[j]) - Math.Cos(_n[j] * t + _phase[j]);
                loss += 0.5 * r * r;
                signed += r;
                g[j] += r * -Math.Sin(_n[j] * t + _learned[j]) / Batch;
            }
        }
        loss /= Batch;
        signed /= Batch;
        for (int j = 0; j < 3; j++) _learned[j] -= 0.025 * g[j];
        _knotLoss = loss;
        Steps.Add(new Step("knot", loss, signed, sample, [.. _bassNotes]));
    }
}

/// <summary>
/// The engine under --preset ldd against <see cref="OriginalLdd"/>, step by step, on a performance
/// through all four parts: the same number of steps, and at every step the same model, loss and
/// detune within float tolerance.
/// </summary>
public class OriginalReferenceTests(ITestOutputHelper output)
{
    private const int Rate = 48000;

    /// <summary>
    /// Part 1: a bass note and a phrase (some notes overlapping); part 2: a chord held, released,
    /// one more chord 2.5 s later; part 3: a single bass note; part 4: a bass note and a phrase.
    /// Times avoid the 60/s frame grid (every 800 samples), where the order of a note and a frame
    /// would be a matter of convention.
    /// </summary>
    private static TimedMidiEvent[] Performance()
    {
        var e = new List<TimedMidiEvent>();
        e.Add(On(0.2031, 36));
        double t = 0.5031;
        foreach (int note in new[] { 60, 62, 64, 65, 67 })
        {
            e.Add(On(t, note));
            e.Add(Off(t + 0.35, note));
            t += 0.3;
        }
        e.Add(Off(2.4031, 36));
        e.Add(Cc(2.6031, 67, 127)); e.Add(Cc(2.7031, 67, 0));
        e.Add(On(2.9031, 48)); e.Add(On(2.9031, 52)); e.Add(On(2.9031, 72));
        e.Add(Off(3.9031, 48)); e.Add(Off(3.9031, 52)); e.Add(Off(3.9031, 72));
        e.Add(On(5.4031, 43)); e.Add(Off(6.2031, 43));
        e.Add(Cc(6.5031, 67, 127)); e.Add(Cc(6.6031, 67, 0));
        e.Add(On(6.8031, 45)); e.Add(Off(7.8031, 45));
        e.Add(Cc(8.2031, 67, 127)); e.Add(Cc(8.3031, 67, 0));
        e.Add(On(8.5031, 38));
        t = 8.8031;
        foreach (int note in new[] { 74, 76, 77, 79 })
        {
            e.Add(On(t, note));
            e.Add(Off(t + 0.25, note));
            t += 0.3;
        }
        e.Add(Off(10.2031, 38));
        return e.OrderBy(x => x.SampleTime).ToArray();
    }

    /// <summary>The reference: the events at their samples, then a video frame on every 800th sample (60 a second).</summary>
    private static OriginalLdd PlayOriginal(TimedMidiEvent[] events, long total, ulong seed)
    {
        var reference = new OriginalLdd(seed, Rate);
        int next = 0;
        for (long s = 0; s < total; s++)
        {
            while (next < events.Length && events[next].SampleTime == s)
            {
                TimedMidiEvent ev = events[next++];
                int kind = ev.Status & 0xF0;
                if (kind == 0x90 && ev.Data2 > 0) reference.NoteOn(ev.Data1, s);
                else if (kind is 0x80 or 0x90) reference.NoteOff(ev.Data1);
                else if (kind == 0xB0 && ev.Data1 == 67) reference.SoftPedal(ev.Data2);
            }
            if (s > 0 && s % (Rate / 60) == 0) reference.Frame(s);
        }
        return reference;
    }

    private sealed class FrameList : IFrameSink
    {
        public readonly List<Frame> Frames = [];
        public void Publish(in Frame frame) => Frames.Add(frame);
    }

    /// <summary>Every message of an OSC packet as (address, d, the int arguments).</summary>
    private struct Decode() : IOscHandler
    {
        public List<(string Address, double D, int[] Notes)> Messages { get; } = [];

        public readonly void OnMessage(in OscMessage m)
        {
            string address = System.Text.Encoding.ASCII.GetString(m.Address);
            string tags = System.Text.Encoding.ASCII.GetString(m.TypeTags);
            OscArguments a = m.Arguments;
            var ints = new List<int>();
            double d = double.NaN;
            while (a.Remaining > 0)
            {
                if (a.TryInt(out int i)) ints.Add(i);
                else if (a.TryFloat(out float f)) d = f;
                else throw new InvalidOperationException($"{address} ,{tags}: unexpected argument");
            }
            Assert.Equal(address == "/detune" ? "if" : "fiii", tags);
            Messages.Add((address, d, ints.ToArray()));
        }
    }

    /// <summary>
    /// `osc --ldd` (<see cref="LddMessages"/>) fed the engine's frames under --preset ldd: after every
    /// step, the messages the original sends after it — /detune i:note f:d for each note of the
    /// cubic, /detuneChord f:d i i i for the held bass notes (−1 for an empty slot) — same
    /// addresses, type tags, notes, and d with its sign, within float tolerance.
    /// </summary>
    [Fact]
    public void Osc_ldd_sends_what_the_original_sends_after_every_step()
    {
        TimedMidiEvent[] events = Performance();
        long total = (long)(10.6 * Rate);
        const ulong seed = 2;
        OriginalLdd reference = PlayOriginal(events, total, seed);
        var sink = new FrameList();
        Run(events, total, block: 64, config: EngineConfig.FromPreset("ldd"), seed: seed, afterBlock: (p, end) => { if (end == 64) p.FrameSink = sink; });
        var ldd = new LddMessages(bassSplit: 48, chordSplit: 60, partPedal: 67);
        var buffer = new byte[4096];
        int compared = 0, messages = 0;
        foreach (Frame f in sink.Frames.Where(f => (f.Flags & FrameFlags.Stepped) != 0))
        {
            OriginalLdd.Step step = reference.Steps[(int)f.TotalSteps - 1];
            var w = new OscWriter(buffer);
            var decoded = new Decode();
            if (ldd.WriteSuperCollider(ref w, f, OscTimeTag.Immediately, continuous: true))
                Assert.Equal(OscError.None, OscPacket.Read(w.Packet, ref decoded));
            var expected = OriginalLdd.Messages(step);
            Assert.True(expected.Count == decoded.Messages.Count, $"step {f.TotalSteps} at {f.SampleTime}: {decoded.Messages.Count} messages, the original {expected.Count}");
            foreach (var (address, d, notes) in expected)
            {
                var match = decoded.Messages.SingleOrDefault(m => m.Address == address && m.Notes.SequenceEqual(notes));
                Assert.True(match.Address is not null, $"step {f.TotalSteps}: no {address} {string.Join(' ', notes)}; sent: {string.Join("; ", decoded.Messages.Select(m => $"{m.Address} {m.D} {string.Join(' ', m.Notes)}"))}");
                Assert.True(Math.Abs(match.D - d) <= 1e-3 * Math.Abs(d) + 1e-6, $"step {f.TotalSteps} {address}: d {match.D} vs {d}");
                messages++;
            }
            compared++;
        }
        output.WriteLine($"{compared} steps compared, {messages} messages");
        Assert.True(compared > 300 && messages > 300, $"{compared} steps, {messages} messages");
    }

    [Fact]
    public void The_engine_under_preset_ldd_equals_the_original_step_for_step_through_all_four_parts()
    {
        TimedMidiEvent[] events = Performance();
        long total = (long)(10.6 * Rate);
        foreach (ulong seed in new ulong[] { 1, 2, 3 })
        {
            OriginalLdd reference = PlayOriginal(events, total, seed);

            // The engine, one sample per block: every step it takes is seen where it lands.
            var engine = new List<(string? Model, double Loss, double Detune, long Sample, long Steps)>();
            long seen = 0;
            Run(events, total, block: 1, config: EngineConfig.FromPreset("ldd"), seed: seed, afterBlock: (p, end) =>
            {
                long steps = p.Piece.GradientSteps;
                if (steps != seen) engine.Add((p.Piece.CurrentName, p.Piece.Loss, p.Piece.Detune, end - 1, steps - seen));
                seen = steps;
            });

            Assert.Contains(reference.Steps, s => s.Model == "knot");
            int r = 0;
            double worstLoss = 0, worstDetune = 0;
            foreach (var step in engine)
            {
                r += (int)step.Steps; // several steps at one sample (a new cubic and its note-on): the last is heard
                OriginalLdd.Step expected = reference.Steps[r - 1];
                Assert.True(expected.Sample == step.Sample, $"seed {seed} step {r}: engine at {step.Sample} ({step.Model}, loss {step.Loss}), the original at {expected.Sample} ({expected.Model}, loss {expected.Loss}; the one before at {reference.Steps[Math.Max(0, r - 2)].Sample}, loss {reference.Steps[Math.Max(0, r - 2)].Loss})");
                Assert.Equal(expected.Model, step.Model);
                double lossError = Math.Abs(step.Loss - expected.Loss) / (expected.Loss + 1e-6);
                // The signed residual cancels (float against double): relative 1e-3, or 1e-6 absolute (0.002 cents).
                double detuneError = Math.Abs(step.Detune - expected.Detune) / (Math.Abs(expected.Detune) + 1e-3);
                worstLoss = Math.Max(worstLoss, lossError);
                worstDetune = Math.Max(worstDetune, detuneError);
                Assert.True(lossError <= 1e-3, $"seed {seed} step {r} at {step.Sample}: loss {step.Loss} vs {expected.Loss}");
                Assert.True(detuneError <= 1e-3, $"seed {seed} step {r} at {step.Sample}: detune {step.Detune} vs {expected.Detune}");
            }
            Assert.Equal(reference.Steps.Count, engine.Sum(x => x.Steps));
            output.WriteLine($"seed {seed}: {reference.Steps.Count} steps, worst relative error loss {worstLoss:0.0e0}, detune {worstDetune:0.0e0}");
        }
    }
}
