using Carapace.Abstractions;
using Carapace.Abstractions.Http;
using Carapace.Host.Audit;
using Carapace.Host.Credentials;
using Carapace.Host.Outbound;
using Carapace.Host.Tests.Credentials.Support;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Host.Tests.Outbound;

/// <summary>A plugin spinning on denied calls writes a handful of capability_denied lines and a counted summary, not one line per call.</summary>
public sealed class DenialAuditFloodTests
{
    private readonly RecordingAuditLog _audit = new();
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Fifty_thousand_denied_http_calls_write_one_line_per_kind_and_a_summary_with_the_count()
    {
        using var http = OutboundTestKit.SafeHttp(new FakeResolver());
        using var factory = new PluginHttpFactory(http, _audit, 100, _time);
        var ungranted = factory.Create("spinner", null);
        var granted = factory.Create("spinner2", ["https://api.example.com/v1"]);

        for (var i = 0; i < 50_000; i++)
        {
            await Assert.ThrowsAsync<CapabilityDeniedException>(() => ungranted.SendAsync(new PluginHttpRequest("GET", "https://api.example.com/"), CancellationToken.None));
        }

        for (var i = 0; i < 1_000; i++)
        {
            await Assert.ThrowsAsync<CapabilityDeniedException>(() => granted.SendAsync(new PluginHttpRequest("GET", $"https://other{i}.example/"), CancellationToken.None));
            await Assert.ThrowsAsync<OutboundRequestRejectedException>(() => granted.SendAsync(new PluginHttpRequest("GET", "http://169.254.169.254/"), CancellationToken.None));
        }

        // The first of each kind per window, in full: no grant, URL not granted (whatever the origin), ssrf_blocked.
        Assert.Equal(3, _audit.Named(AuditEvents.CapabilityDenied).Count());
        Assert.Empty(_audit.Named(AuditEvents.CapabilityDeniedSuppressed));

        _time.Advance(ThrottledDenialAudit.Window);
        var summaries = _audit.Named(AuditEvents.CapabilityDeniedSuppressed).ToList();
        Assert.Equal(3, summaries.Count);
        var spinner = summaries.Single(s => (string?)s["plugin_id"] == "spinner");
        Assert.Equal(49_999L, spinner["count"]);
        Assert.Equal("http capability not granted", spinner["kind"]);
        Assert.Contains(summaries, s => (string?)s["kind"] == "url_not_granted" && (long)s["count"]! == 999);
        Assert.Contains(summaries, s => (string?)s["kind"] == "ssrf_blocked" && (long)s["count"]! == 999);

        // The next window starts with a full line again.
        await Assert.ThrowsAsync<CapabilityDeniedException>(() => ungranted.SendAsync(new PluginHttpRequest("GET", "https://api.example.com/"), CancellationToken.None));
        Assert.Equal(4, _audit.Named(AuditEvents.CapabilityDenied).Count());
    }

    [Fact]
    public async Task Denied_credential_calls_are_throttled_the_same_way()
    {
        using var dir = new TempStateDirectory();
        var store = StoreFactory.Create(dir, new InMemoryCredentialBackend(), _audit, _time);
        var factory = new PluginCredentialsFactory(store, new PluginCredentialLimiter(_time), _audit, _time);
        var credentials = factory.Create("spinner", credentialsGranted: false);
        for (var i = 0; i < 5_000; i++)
        {
            await Assert.ThrowsAsync<CapabilityDeniedException>(() => credentials.GetAsync("token", CancellationToken.None));
        }

        Assert.Single(_audit.Named(AuditEvents.CapabilityDenied));
        _time.Advance(ThrottledDenialAudit.Window);
        var summary = _audit.Named(AuditEvents.CapabilityDeniedSuppressed).Single();
        Assert.Equal(4_999L, summary["count"]);
        Assert.Equal("read:not granted", summary["kind"]);
    }
}
