namespace Carapace.Sandbox.Exec.Tests;

/// <summary>The launcher's last steps through a recording fake: the confined marker comes after every restriction.</summary>
public sealed unsafe class ConfinementTailTests
{
    private static readonly string[] AllSteps = ["no_gc", "signals", "no_new_privs", "seccomp", "restrict_self", "close", "rlimit_as", "marker"];

    [Fact]
    public void The_marker_is_the_last_step_after_every_restriction_including_the_address_space_limit()
    {
        var sys = new RecordingTail(failAt: null);

        ConfinementTail.Apply(ref sys, null, 7, 512L * 1024 * 1024);

        Assert.Equal(AllSteps, sys.Calls);
        Assert.Equal((9, 512L * 1024 * 1024), sys.LimitSet); // RLIMIT_AS
    }

    [Fact]
    public void Without_an_address_space_limit_the_marker_still_follows_restrict_self()
    {
        var sys = new RecordingTail(failAt: null);

        ConfinementTail.Apply(ref sys, null, 7, null);

        Assert.Equal(AllSteps.Where(s => s != "rlimit_as"), sys.Calls);
    }

    [Theory]
    [InlineData("no_gc", "internal")]
    [InlineData("signals", "signals")]
    [InlineData("no_new_privs", "no_new_privs")]
    [InlineData("seccomp", "seccomp")]
    [InlineData("restrict_self", "landlock_restrict_self")]
    [InlineData("rlimit_as", "rlimit")]
    [InlineData("marker", "marker")]
    public void A_failure_at_any_step_reports_that_step_and_never_writes_the_marker(string failing, string reportedStep)
    {
        var sys = new RecordingTail(failAt: failing);

        LaunchFailedException e;
        try
        {
            ConfinementTail.Apply(ref sys, null, 7, 64L * 1024 * 1024);
            throw new Xunit.Sdk.XunitException("the tail did not fail");
        }
        catch (LaunchFailedException caught)
        {
            e = caught;
        }

        Assert.Equal(reportedStep, e.Step);
        Assert.False(sys.MarkerWritten);
        Assert.Equal(failing, sys.Calls[^1]); // nothing ran after the failing step
    }

    /// <summary>Records each call; the step named <c>failAt</c> fails with EPERM.</summary>
    private struct RecordingTail(string? failAt) : ITailSyscalls
    {
        public List<string> Calls { get; } = [];

        public (int Resource, long Value)? LimitSet { get; private set; }

        public bool MarkerWritten { get; private set; }

        public readonly int Errno => 1;

        public readonly bool StartNoGcRegion() => Step("no_gc") == 0;

        public readonly int ResetSignals() => Step("signals");

        public readonly int NoNewPrivs() => Step("no_new_privs");

        public readonly int InstallSeccomp(Libc.SockFprog* program) => Step("seccomp");

        public readonly int LandlockRestrictSelf(int rulesetFd) => Step("restrict_self");

        public readonly void Close(int fd) => Step("close");

        public int SetLimit(int resource, long value)
        {
            LimitSet = (resource, value);
            return Step("rlimit_as");
        }

        public nint WriteMarker()
        {
            if (Step("marker") != 0)
            {
                return -1;
            }

            MarkerWritten = true;
            return 1;
        }

        private readonly int Step(string name)
        {
            Calls.Add(name);
            return name == failAt ? -1 : 0;
        }
    }
}
