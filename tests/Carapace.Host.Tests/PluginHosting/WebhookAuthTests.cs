using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Carapace.Host.Audit;
using Carapace.Host.Auth;
using Carapace.Host.Tests.Infrastructure;

namespace Carapace.Host.Tests.PluginHosting;

/// <summary>Wrong webhook secrets against the real gateway and the bundled webhook channel: counted, locked out, audited boundedly.</summary>
public sealed class WebhookAuthTests
{
    private const string Token = "webhook-auth-token";
    private const string Secret = "0123456789abcdef-webhook-auth";
    private const string Body = "{\"text\":\"hi\",\"conversation\":\"x\"}";

    private const string Yaml = $"""
        gateway:
          trustedProxies: [127.0.0.1]
        plugins:
          webhook:
            enabled: true
            endpoints:
              ci:
                secret: "{Secret}"
        """;

    private static Task<GatewayFixture> StartAsync() =>
        GatewayFixture.StartAsync(Yaml, new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token }, withPlugins: true);

    private static HttpRequestMessage Post(string signature, string? forwardedFor = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/plugins/webhook/ci") { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-carapace-signature", signature);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        return request;
    }

    private static string Signed() => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), Encoding.UTF8.GetBytes(Body)));

    [Fact]
    public async Task Many_wrong_secrets_lock_the_client_out_of_webhooks_and_the_audit_stays_bounded()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 40; i++)
        {
            using var wrong = Post("sha256=" + new string('0', 64));
            statuses.Add((await client.SendAsync(wrong)).StatusCode);
        }

        Assert.All(statuses.Take(10), s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        Assert.All(statuses.Skip(10), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        using (var right = Post(Signed()))
        {
            var locked = await client.SendAsync(right);
            await ProblemAssert.IsProblemAsync(locked, HttpStatusCode.TooManyRequests, ControlAuthenticationHandler.LockedOutCode);
            Assert.NotNull(locked.Headers.RetryAfter);
        }

        // A separate count: the local user is not locked out of the control API by webhook guesses.
        using var control = gateway.Client(Token);
        Assert.Equal(HttpStatusCode.OK, (await control.GetAsync("/control/status")).StatusCode);

        var events = await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.AuthLockout) == 1, "the webhook lockout");
        var failures = Scoped(events, AuditEvents.AuthFailure);
        Assert.Equal(10, failures.Count);
        Assert.All(failures, f => Assert.Equal("webhook", f.GetProperty("plugin_id").GetString()));
        Assert.Equal("127.0.0.1", failures[0].GetProperty("remote_ip").GetString());
        Assert.Equal("webhook", Scoped(events, AuditEvents.AuthLockout).Single().GetProperty("scope").GetString());
        // 41 refused requests, 11 lines: the refusals during the lockout become one summary when it ends.
        var authLines = events.Count(e => e.GetProperty("event").GetString()!.StartsWith("auth_", StringComparison.Ordinal));
        Assert.Equal(11, authLines);
    }

    [Fact]
    public async Task Refusals_during_a_webhook_lockout_are_summarised_at_shutdown()
    {
        using var state = new Carapace.Testing.TempDirectory();
        var gateway = await GatewayFixture.StartAsync(Yaml, new Dictionary<string, string?> { ["CARAPACE_GATEWAY_TOKEN"] = Token },
            withPlugins: true, stateDirOverride: state.Path);
        await using (gateway)
        {
            using var client = gateway.Client();
            for (var i = 0; i < 15; i++)
            {
                using var wrong = Post("sha256=" + new string('0', 64));
                await client.SendAsync(wrong);
            }
        }

        var refused = Scoped(AuditFile.Read(Path.Combine(state.Path, "audit.jsonl")), AuditEvents.AuthLockoutRefused).Single();
        Assert.Equal(5, refused.GetProperty("count").GetInt64());
        Assert.Equal("webhook", refused.GetProperty("scope").GetString());
    }

    [Fact]
    public async Task The_plugin_and_the_audit_see_the_client_resolved_through_a_trusted_proxy()
    {
        await using var gateway = await StartAsync();
        using var client = gateway.Client();
        using var wrong = Post("sha256=" + new string('0', 64), forwardedFor: "203.0.113.50");

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(wrong)).StatusCode);

        var events = await AuditFile.WaitForAsync(gateway.AuditPath, e => Scoped(e, AuditEvents.AuthFailure).Count == 1, "the failure");
        var failure = Scoped(events, AuditEvents.AuthFailure).Single();
        Assert.Equal("203.0.113.50", failure.GetProperty("remote_ip").GetString());
        Assert.Equal("127.0.0.1", failure.GetProperty("peer_ip").GetString());
        Assert.True(gateway.LogContains("rejected a request from 203.0.113.50"), "the plugin logged the socket peer, not the client");
    }

    private static List<JsonElement> Scoped(List<JsonElement> events, string name) =>
        events.Where(e => e.GetProperty("event").GetString() == name)
            .Select(e => e.GetProperty("data"))
            .Where(d => d.TryGetProperty("scope", out var scope) && scope.GetString() == "webhook")
            .ToList();
}
