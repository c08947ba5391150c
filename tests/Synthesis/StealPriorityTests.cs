using Losses.Engine.Config;
using Losses.Engine.Synthesis;

namespace Losses.Tests.Synthesis;

/// <summary>When every voice is busy, a new note takes the quietest released voice, else the quietest of all.</summary>
public class StealPriorityTests
{
    private const int Rate = 48_000;

    private static VoiceBank Bank() => new(new VoiceSettings { Polyphony = 4 }, Rate, maxDetune: 0.5f, seed: 1);

    private static void Play(VoiceBank bank, double seconds)
    {
        var left = new float[VoiceBank.ControlPeriod];
        var right = new float[VoiceBank.ControlPeriod];
        for (int i = 0; i < seconds * Rate / VoiceBank.ControlPeriod; i++)
        {
            bank.ControlUpdate();
            bank.Render(left, right);
        }
    }

    [Fact]
    public void The_quietest_released_voice_is_stolen_before_any_held_one_even_a_quieter_held_one()
    {
        VoiceBank bank = Bank();
        int heldSoft = bank.NoteOn(60, 10, 0);      // quietest of all, but held
        int releasedLoud = bank.NoteOn(62, 110, 0);
        int releasedSoft = bank.NoteOn(64, 50, 0);
        int heldLoud = bank.NoteOn(65, 127, 0);
        Play(bank, 0.2); // past the attack
        bank.Release(releasedLoud);
        bank.Release(releasedSoft);
        Play(bank, 0.05);
        Assert.Equal(0, bank.Steals);

        // A stolen voice fades out in its own slot in 10 ms while the new note starts in a spare
        // one (StealTests): which voice was stolen shows as the one that falls silent.
        int first = bank.NoteOn(67, 100, 0);
        Play(bank, 0.02);
        Assert.Equal(1, bank.Steals);
        Assert.False(bank.IsSounding(releasedSoft), "the quietest released voice was not the one stolen");
        Assert.True(bank.IsSounding(releasedLoud));
        int second = bank.NoteOn(69, 100, 0);
        Play(bank, 0.02);
        Assert.Equal(2, bank.Steals);
        Assert.False(bank.IsSounding(releasedLoud), "the remaining released voice was not stolen next");
        Assert.True(bank.IsSounding(first) && bank.IsSounding(second));
        Assert.True(bank.IsSounding(heldSoft) && !bank.IsReleased(heldSoft));
        Assert.True(bank.IsSounding(heldLoud) && !bank.IsReleased(heldLoud));
    }

    [Fact]
    public void With_nothing_released_the_quietest_held_voice_is_stolen()
    {
        VoiceBank bank = Bank();
        int[] voices = [bank.NoteOn(60, 100, 0), bank.NoteOn(62, 20, 0), bank.NoteOn(64, 60, 0), bank.NoteOn(65, 127, 0)];
        Play(bank, 0.2);
        int started = bank.NoteOn(67, 100, 0);
        Play(bank, 0.02);
        Assert.Equal(1, bank.Steals);
        Assert.False(bank.IsSounding(voices[1]), "the quietest held voice was not the one stolen");
        Assert.All(new[] { voices[0], voices[2], voices[3], started }, v => Assert.True(bank.IsSounding(v)));
        Assert.Equal(4, bank.ActiveVoices);
    }

    [Fact]
    public void A_free_voice_is_taken_before_any_is_stolen()
    {
        VoiceBank bank = Bank();
        int first = bank.NoteOn(60, 100, 0);
        Play(bank, 0.2);
        bank.Release(first);
        Play(bank, 0.05);
        int second = bank.NoteOn(62, 100, 0);
        Assert.NotEqual(first, second);
        Assert.Equal(0, bank.Steals);
    }
}
