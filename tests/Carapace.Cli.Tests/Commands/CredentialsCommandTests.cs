using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Carapace.Cli.Tests.Infrastructure;
using Carapace.Testing;

namespace Carapace.Cli.Tests.Commands;

/// <summary>`cara credentials` against the real encrypted-file store, and the gateway reading its token from it.</summary>
public sealed class CredentialsCommandTests
{
    private const string FileBackend = "credentials:\n  backend: encrypted-file\n";

    private static async Task<(Dictionary<string, string?> Env, string Config)> FileStoreAsync(TempDirectory dir)
    {
        var env = CaraProcess.IsolatedEnvironment(dir);
        env["CARAPACE_CONFIG_PASSWORD"] = "test-store-password";
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, FileBackend);
        env["CARAPACE_CONFIG_PATH"] = config;
        return (env, config);
    }

    private static async Task<CaraResult> RunWithStdinAsync(IReadOnlyDictionary<string, string?> env, string stdin, params string[] args)
    {
        using var process = Process.Start(CaraProcess.StartInfo(args, env))!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        return new CaraResult(process.ExitCode, await stdout, await stderr);
    }

    [Fact]
    public async Task Set_list_get_and_delete_never_print_the_value_unless_revealed()
    {
        using var dir = new TempDirectory();
        var (env, _) = await FileStoreAsync(dir);

        var set = await RunWithStdinAsync(env, "s3cret-value\n", "credentials", "set", "plugin:demo:api");
        Assert.True(set.ExitCode == 0, set.ToString());

        var list = await CaraProcess.RunAsync(env, "credentials", "list");
        var get = await CaraProcess.RunAsync(env, "credentials", "get", "plugin:demo:api");
        var reveal = await CaraProcess.RunAsync(env, "credentials", "get", "plugin:demo:api", "--reveal");

        Assert.Contains("plugin:demo:api", list.Stdout, StringComparison.Ordinal);
        Assert.Contains("encrypted-file", list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", list.Stdout + get.Stdout, StringComparison.Ordinal);
        Assert.Contains("is set", get.Stdout, StringComparison.Ordinal);
        Assert.Equal("s3cret-value", reveal.Stdout.Trim());
        Assert.DoesNotContain(Directory.EnumerateFiles(Path.Combine(dir.Path, "state"), "*", SearchOption.AllDirectories),
            f => File.ReadAllText(f).Contains("s3cret-value", StringComparison.Ordinal));

        var delete = await CaraProcess.RunAsync(env, "credentials", "delete", "plugin:demo:api");
        var gone = await CaraProcess.RunAsync(env, "credentials", "get", "plugin:demo:api");
        Assert.Equal(0, delete.ExitCode);
        Assert.Equal(1, gone.ExitCode);
        Assert.Contains("No credential plugin:demo:api", gone.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_token_in_the_store_is_used_by_the_gateway_and_by_cara()
    {
        using var dir = new TempDirectory();
        var (env, _) = await FileStoreAsync(dir);
        var set = await RunWithStdinAsync(env, "stored-gateway-token", "credentials", "set", "gateway:token:default");
        Assert.True(set.ExitCode == 0, set.ToString());

        await using var gateway = await RunningGateway.StartAsync(env);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.Port}") };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "stored-gateway-token");
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(request)).StatusCode);
        Assert.Contains("credential store (gateway:token:default)", gateway.Stdout, StringComparison.Ordinal);

        var status = await gateway.CaraAsync(null, "status");
        Assert.Contains("Plugins:", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Env_only_store_refuses_writes_with_a_hint_and_writes_no_file()
    {
        using var dir = new TempDirectory();
        var env = CaraProcess.IsolatedEnvironment(dir);
        var config = Path.Combine(dir.Path, "carapace.yaml");
        await File.WriteAllTextAsync(config, "credentials:\n  backend: env-only\n");
        env["CARAPACE_CONFIG_PATH"] = config;

        const string secret = "env-only-secret-4f1c9a";
        var set = await RunWithStdinAsync(env, secret, "credentials", "set", "plugin:demo:api");

        Assert.Equal(1, set.ExitCode);
        Assert.Contains("credential_store_unavailable", set.Stderr, StringComparison.Ordinal);
        // Nothing anywhere under the isolated home/state holds the value or a credential store file.
        var files = Directory.EnumerateFiles(dir.Path, "*", SearchOption.AllDirectories).ToList();
        Assert.DoesNotContain(files, f => Path.GetFileName(f).StartsWith("store", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => File.ReadAllText(f).Contains(secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invalid_key_is_refused()
    {
        using var dir = new TempDirectory();
        var (env, _) = await FileStoreAsync(dir);

        var result = await RunWithStdinAsync(env, "x", "credentials", "set", "not a key");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("Invalid key", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Environment_token_overrides_a_stored_token_for_start_and_for_status()
    {
        using var dir = new TempDirectory();
        var (env, _) = await FileStoreAsync(dir);
        var set = await RunWithStdinAsync(env, "stored-token-123", "credentials", "set", "gateway:token:default");
        Assert.True(set.ExitCode == 0, set.ToString());
        env["CARAPACE_GATEWAY_TOKEN"] = "env-token-456";

        await using var gateway = await RunningGateway.StartAsync(env);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway.Port}") };

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWith(http, "stored-token-123"));
        Assert.Equal(HttpStatusCode.OK, await StatusWith(http, "env-token-456"));
        Assert.Contains("Control API auth: token (from CARAPACE_GATEWAY_TOKEN)", gateway.Stdout, StringComparison.Ordinal);

        // cara status: with the variable it presents the env token; without it, the stored one, which this gateway refuses.
        var port = gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var withEnv = await CaraProcess.RunAsync(env, "status", "--port", port);
        var withoutEnv = await CaraProcess.RunAsync(gateway.ClientEnvironment(), "status", "--port", port);
        Assert.True(withEnv.ExitCode == 0, withEnv.ToString());
        Assert.Contains("Plugins:", withEnv.Stdout, StringComparison.Ordinal);
        Assert.Contains("Control:  unauthorized", withoutEnv.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Parallel_cara_credentials_set_processes_lose_no_update()
    {
        using var dir = new TempDirectory();
        var (env, config) = await FileStoreAsync(dir);
        // What is tested is that no update is lost, not latency: each process derives the Argon2id key
        // (64 MiB) and queues for the lock, which on a loaded 2-core machine can exceed the 10 s default.
        await File.AppendAllTextAsync(config, "  timeoutSeconds: 120\n");
        const int writers = 6;

        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(i =>
            RunWithStdinAsync(env, $"value-{i}", "credentials", "set", $"plugin:concurrent:key{i}")));

        Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        for (var i = 0; i < writers; i++)
        {
            var reveal = await CaraProcess.RunAsync(env, "credentials", "get", $"plugin:concurrent:key{i}", "--reveal");
            Assert.True(reveal.ExitCode == 0, reveal.ToString());
            Assert.Equal($"value-{i}", reveal.Stdout.Trim());
        }

        var list = await CaraProcess.RunAsync(env, "credentials", "list");
        Assert.Equal(writers, list.Stdout.Split('\n').Count(l => l.Contains("plugin:concurrent:key", StringComparison.Ordinal)));
    }

    private static async Task<HttpStatusCode> StatusWith(HttpClient http, string bearer)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return (await http.SendAsync(request)).StatusCode;
    }
}
