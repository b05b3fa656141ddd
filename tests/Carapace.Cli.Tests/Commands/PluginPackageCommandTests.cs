using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

/// <summary>The publisher's path through the real `cara`: keys generate, plugins pack --sign-key, verify.</summary>
public sealed class PluginPackageCommandTests
{
    private static async Task<string> PluginDirAsync(TempDirectory dir)
    {
        var plugin = Directory.CreateDirectory(Path.Combine(dir.Path, "plugin")).FullName;
        await File.WriteAllTextAsync(Path.Combine(plugin, "plugin.yaml"),
            "id: demo\nname: Demo\nversion: 1.0.0\ntargetAbi: \"1.0\"\nentryAssembly: Demo.dll\nkind: [tool]\n");
        await File.WriteAllTextAsync(Path.Combine(plugin, "readme.txt"), "not an assembly");
        return plugin;
    }

    [Fact]
    public async Task Generate_pack_sign_and_verify_against_the_trusted_publisher_list()
    {
        using var dir = new TempDirectory();
        var env = CaraProcess.IsolatedEnvironment(dir);
        var key = Path.Combine(dir.Path, "publisher.key");
        var package = Path.Combine(dir.Path, "demo.zip");

        var generate = await CaraProcess.RunAsync(env, "keys", "generate", "--out", key);
        Assert.True(generate.ExitCode == 0, generate.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        var again = await CaraProcess.RunAsync(env, "keys", "generate", "--out", key);
        Assert.Equal(1, again.ExitCode);

        var publicKey = (await File.ReadAllTextAsync(key + ".pub")).Trim().Split('\n')[^1].Trim();
        var pack = await CaraProcess.RunAsync(env, "plugins", "pack", await PluginDirAsync(dir), "-o", package, "--sign-key", key);
        Assert.True(pack.ExitCode == 0, pack.ToString());
        Assert.Contains("publisher: ", pack.Stdout, StringComparison.Ordinal);

        var untrusted = await CaraProcess.RunAsync(env, "plugins", "verify", package);
        Assert.Equal(1, untrusted.ExitCode);
        Assert.Contains("untrusted", untrusted.Stdout, StringComparison.Ordinal);

        var config = Path.Combine(dir.Path, "trust.yaml");
        var publicHex = (await CaraProcess.RunAsync(env, "keys", "public", key)).Stdout.Trim();
        await File.WriteAllTextAsync(config, $"plugins:\n  signature:\n    trustedPublishers: [\"{publicHex}\"]\n");
        var trusted = await CaraProcess.RunAsync(env, "plugins", "verify", package, "--config", config);
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.False(string.IsNullOrEmpty(publicKey));
    }

    [Fact]
    public async Task Unsigned_package_is_refused_by_the_default_policy_even_with_allow_unsigned()
    {
        using var dir = new TempDirectory();
        var env = CaraProcess.IsolatedEnvironment(dir);
        var package = Path.Combine(dir.Path, "demo.zip");
        Assert.Equal(0, (await CaraProcess.RunAsync(env, "plugins", "pack", await PluginDirAsync(dir), "-o", package)).ExitCode);

        var verify = await CaraProcess.RunAsync(env, "plugins", "verify", package, "--allow-unsigned");

        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("signature_required", verify.Stdout, StringComparison.Ordinal);
    }
}
