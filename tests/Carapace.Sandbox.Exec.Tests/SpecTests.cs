using Carapace.Sandbox.Exec.Protocol;

namespace Carapace.Sandbox.Exec.Tests;

public sealed class SpecTests
{
    private static LaunchSpec Valid() => new()
    {
        Executable = "/bin/true",
        Argv = ["/bin/true"],
        Env = ["PATH=/usr/bin:/bin"],
        WorkingDirectory = "/usr",
        ReadOnlyRoots = ["/usr", "/bin"],
    };

    [Fact]
    public void Valid_spec_passes()
    {
        Libc.Load();
        SpecValidator.Validate(Valid());
    }

    [Theory]
    [InlineData("relative-exe")]
    [InlineData("outside-roots")]
    [InlineData("network-ports-with-none")]
    [InlineData("bad-env")]
    [InlineData("nul-arg")]
    [InlineData("cwd-outside-roots")]
    [InlineData("cwd-missing")]
    [InlineData("uid-root")]
    [InlineData("uid-unchanged")]
    [InlineData("gid-unchanged")]
    public void Invalid_specs_fail_validation(string what)
    {
        Libc.Load();
        var spec = Valid();
        switch (what)
        {
            case "relative-exe": spec.Executable = "true"; break;
            case "outside-roots": spec.ReadOnlyRoots = ["/etc"]; break;
            case "network-ports-with-none": spec.ConnectPorts = [443]; break;
            case "bad-env": spec.Env = ["NOEQUALS"]; break;
            case "nul-arg": spec.Argv = ["/bin/true", "a\0b"]; break;
            case "cwd-outside-roots": spec.WorkingDirectory = "/etc"; break;
            case "cwd-missing": spec.WorkingDirectory = "/usr/nonexistent-carapace"; break;
            case "uid-root": spec.RunAsUid = 0; break;
            case "uid-unchanged": spec.RunAsUid = uint.MaxValue; break;
            case "gid-unchanged": spec.RunAsUid = 61000; spec.RunAsGid = uint.MaxValue; break;
        }

        var e = Assert.Throws<LaunchFailedException>(() => SpecValidator.Validate(spec));
        Assert.Equal("validate", e.Step);
    }
}
