using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Linux;

namespace Carapace.Sandbox.Tests.Linux;

[Collection(SandboxCollection.Name)]
public sealed class LauncherKindTests
{
    [Fact]
    public async Task Framework_dependent_fallback_launcher_confines_too()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "carapace-sandbox-exec", "fd", "carapace-sandbox-exec.dll");
        await using var broker = new SandboxBroker(new SandboxOptions { LauncherPath = dll }, null, null, SandboxPlatform.Current);
        Assert.Equal(LauncherLocator.FrameworkDependent, broker.BackendStatus!.LauncherKind);

        var result = await broker.RunAsync(SandboxFixture.Bash("cat /root/.bashrc; yes | head -n1 >/dev/null; echo ${PIPESTATUS[0]}"), default);

        Assert.Contains("Permission denied", result.StderrText, StringComparison.Ordinal);
        Assert.Equal("141\n", result.StdoutText);
    }

    [Fact]
    public void Build_staged_a_launcher_next_to_the_app()
    {
        var info = LauncherLocator.Locate(null, out var problem);

        Assert.Null(problem);
        Assert.NotNull(info);
        Assert.StartsWith(Path.Combine(AppContext.BaseDirectory, "carapace-sandbox-exec"), info.Path, StringComparison.Ordinal);
    }
}
