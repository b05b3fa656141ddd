namespace Carapace.Host.Tests.Credentials.Support;

/// <summary>libsecret's <c>secret-tool</c>: an independent client to cross-check what Carapace stored.</summary>
internal static class SecretTool
{
    public static async Task<string?> LookupAsync(string key)
    {
        var (code, stdout, _) = await ProcessRunner.RunAsync("secret-tool", ["lookup", "service", "carapace", "key", key]);
        return code == 0 ? stdout : null;
    }

    public static async Task StoreAsync(string key, string value)
    {
        var (code, _, stderr) = await ProcessRunner.RunAsync("secret-tool",
            ["store", "--label", $"carapace {key}", "service", "carapace", "key", key], stdin: value);
        Assert.True(code == 0, $"secret-tool store failed: {stderr}");
    }

    public static async Task<string> SearchAsync(string key)
    {
        var (_, stdout, stderr) = await ProcessRunner.RunAsync("secret-tool", ["search", "--all", "service", "carapace", "key", key]);
        return stdout + stderr;
    }
}
