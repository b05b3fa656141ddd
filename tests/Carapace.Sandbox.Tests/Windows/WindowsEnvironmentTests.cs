using Carapace.Sandbox.Policy;
using Carapace.Sandbox.Windows;

namespace Carapace.Sandbox.Tests.Windows;

public sealed class WindowsEnvironmentTests
{
    private static readonly Dictionary<string, string> Host = new(StringComparer.OrdinalIgnoreCase)
    {
        ["SystemRoot"] = @"D:\Win",
        ["TZ"] = "UTC",
        ["CARAPACE_GATEWAY_TOKEN"] = "secret-token",
        ["Path"] = @"C:\host\bin",
    };

    [Fact]
    public void Block_is_sorted_without_regard_to_case_and_double_nul_terminated()
    {
        var block = WindowsEnvironmentBlock.Build([new("b", "2"), new("A", "1"), new("c", "3")]);

        Assert.Equal("A=1\0b=2\0c=3\0\0", block);
        Assert.Equal("\0\0", WindowsEnvironmentBlock.Build([]));
    }

    [Fact]
    public void Block_keeps_one_spelling_per_name()
    {
        var block = WindowsEnvironmentBlock.Build([new("Path", "first"), new("PATH", "second")]);

        Assert.Equal("Path=second\0\0", block);
    }

    [Theory]
    [InlineData("A=B", "x")]
    [InlineData("", "x")]
    [InlineData("NAME", "nul\0inside")]
    public void Block_refuses_what_Windows_cannot_represent(string name, string value) =>
        Assert.Throws<InvalidSandboxRequestException>(() => WindowsEnvironmentBlock.Build([new(name, value)]));

    [Fact]
    public void Windows_environment_has_a_system_base_the_scratch_dir_and_no_secrets()
    {
        var request = new SandboxRequest
        {
            Executable = "/x",
            InheritEnvironment = ["TZ", "CARAPACE_GATEWAY_TOKEN"],
            Environment = new Dictionary<string, string> { ["MODE"] = "fast", ["API_KEY"] = "k", ["temp"] = @"C:\elsewhere", ["NOT_ALLOWED"] = "x" },
            EnvironmentAllowlist = new HashSet<string> { "MODE", "API_KEY", "temp" },
        };

        var env = EnvironmentPolicy.BuildWindows(request, @"C:\scratch\run-1", name => Host.GetValueOrDefault(name));
        var block = WindowsEnvironmentBlock.Build(env);

        Assert.Equal(@"D:\Win", env["SystemRoot"]);
        Assert.Equal(@"D:\Win\System32;D:\Win;D:\Win\System32\Wbem", env["PATH"]);
        Assert.Equal(@"D:\Win\System32\cmd.exe", env["ComSpec"]);
        Assert.Equal("UTC", env["TZ"]);
        Assert.Equal("fast", env["MODE"]);
        Assert.Equal(@"C:\scratch\run-1", env["TEMP"]); // fixed last, whatever the caller asked for
        Assert.Equal(@"C:\scratch\run-1", env["TMP"]);
        Assert.Equal(@"C:\scratch\run-1", env["USERPROFILE"]);
        Assert.False(env.ContainsKey("CARAPACE_GATEWAY_TOKEN"));
        Assert.False(env.ContainsKey("API_KEY"));
        Assert.False(env.ContainsKey("NOT_ALLOWED"));
        Assert.DoesNotContain("secret-token", block, StringComparison.Ordinal);
        Assert.DoesNotContain(@"C:\host\bin", block, StringComparison.Ordinal); // the host's PATH is not inherited
        Assert.Single(block.Split('\0'), e => e.StartsWith("TEMP=", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Without_a_host_SystemRoot_the_default_is_used()
    {
        var env = EnvironmentPolicy.BuildWindows(new SandboxRequest { Executable = "/x" }, @"C:\s", _ => null);

        Assert.Equal(@"C:\Windows", env["SystemRoot"]);
    }
}
