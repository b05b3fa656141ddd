using Carapace.Sandbox.Policy;

namespace Carapace.Sandbox.Tests.Policy;

public sealed class EnvironmentPolicyTests
{
    [Theory]
    [InlineData("CARAPACE_GATEWAY_TOKEN")]
    [InlineData("CARAPACE_CONFIG_PASSWORD")]
    [InlineData("MATRIX_STORE_PASSPHRASE")]
    [InlineData("LD_PRELOAD")]
    [InlineData("ld_library_path")]
    [InlineData("DOTNET_STARTUP_HOOKS")]
    [InlineData("COMPlus_EnableDiagnostics")]
    [InlineData("OPENAI_API_KEY")]
    [InlineData("aws_secret_access_key")]
    [InlineData("GH_TOKEN")]
    [InlineData("PGPASSWORD")]
    [InlineData("A=B")]
    [InlineData("")]
    public void Denied_names(string name) => Assert.True(EnvironmentPolicy.IsDenied(name));

    [Theory]
    [InlineData("PATH")]
    [InlineData("LANG")]
    [InlineData("TZ")]
    [InlineData("LC_ALL")]
    public void Allowed_names(string name) => Assert.False(EnvironmentPolicy.IsDenied(name));

    [Fact]
    public void Home_and_tmpdir_are_always_the_scratch_dir()
    {
        var request = SandboxFixture.Request("/bin/true") with
        {
            Environment = new Dictionary<string, string> { ["HOME"] = "/root", ["TMPDIR"] = "/tmp" },
            EnvironmentAllowlist = new HashSet<string> { "HOME", "TMPDIR" },
        };

        var env = EnvironmentPolicy.Build(request, "/scratch/run-1", _ => null);

        Assert.Equal("/scratch/run-1", env["HOME"]);
        Assert.Equal("/scratch/run-1", env["TMPDIR"]);
        Assert.Equal(EnvironmentPolicy.DefaultPath, env["PATH"]);
    }
}
