using System.Net;
using Carapace.Host.Audit;
using Carapace.Host.Auth;
using Carapace.Host.Security;
using Carapace.Host.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Host.Tests.Security;

/// <summary>Failed-credential lockout against the real server, with a fake clock.</summary>
public sealed class AuthThrottleTests
{
    private const string Token = "throttle-token-5c1";

    private static Dictionary<string, string?> TokenEnv() => new() { ["CARAPACE_GATEWAY_TOKEN"] = Token };

    private static Task<GatewayFixture> Start(FakeTimeProvider time, string? yaml = null) =>
        GatewayFixture.StartAsync(yaml, TokenEnv(), services => services.AddSingleton<TimeProvider>(time));

    [Fact]
    public async Task Ten_failures_lock_out_loopback_even_with_the_right_token_until_the_lockout_expires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var gateway = await Start(time);
        using var wrong = gateway.Client("wrong");
        using var right = gateway.Client(Token);

        for (var i = 0; i < 10; i++)
        {
            await ProblemAssert.IsProblemAsync(await wrong.GetAsync("/control/status"), HttpStatusCode.Unauthorized, "unauthorized");
        }

        var locked = await right.GetAsync("/control/status");
        await ProblemAssert.IsProblemAsync(locked, HttpStatusCode.TooManyRequests, ControlAuthenticationHandler.LockedOutCode);
        Assert.Equal("300", locked.Headers.RetryAfter?.ToString());
        Assert.Equal("DENY", locked.Headers.GetValues("X-Frame-Options").Single());

        time.Advance(TimeSpan.FromSeconds(299));
        var stillLocked = await right.GetAsync("/control/status");
        Assert.Equal(HttpStatusCode.TooManyRequests, stillLocked.StatusCode);
        Assert.Equal("1", stillLocked.Headers.RetryAfter?.ToString());

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("/control/status")).StatusCode);

        // Public endpoints are never locked.
        Assert.Equal(HttpStatusCode.OK, (await wrong.GetAsync("/health")).StatusCode);

        var events = await AuditFile.WaitForAsync(gateway.AuditPath,
            e => e.Count(AuditEvents.AuthFailure) == 10 && e.Count(AuditEvents.AuthLockout) == 1, "10 failures and a lockout in the audit log");
        var lockout = events.Single(e => e.GetProperty("event").GetString() == AuditEvents.AuthLockout).GetProperty("data");
        Assert.Equal("127.0.0.1", lockout.GetProperty("remote_ip").GetString());
        Assert.Equal(10, lockout.GetProperty("failures").GetInt32());
        Assert.Equal(300, lockout.GetProperty("lockout_seconds").GetInt32());
        var failure = events.First(e => e.GetProperty("event").GetString() == AuditEvents.AuthFailure).GetProperty("data");
        Assert.Equal("invalid token", failure.GetProperty("reason").GetString());
        Assert.Equal("/control/status", failure.GetProperty("path").GetString());
        Assert.True(gateway.LogContains("Locked out 127.0.0.1 for 300 s"));
    }

    [Fact]
    public async Task A_wrong_token_on_a_path_of_escaped_emoji_is_still_audited_with_the_client_address()
    {
        // 512 emoji are under the 1024-char cut but 6 KiB once escaped: the line used to become a marker without remote_ip.
        await using var gateway = await Start(new FakeTimeProvider());
        using var wrong = gateway.Client("wrong");
        var path = "/control/" + string.Concat(Enumerable.Repeat("%F0%9F%98%80", 512));

        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync(path)).StatusCode);

        var events = await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.AuthFailure) == 1, "the failure");
        Assert.Equal(0, events.Count(AuditEvents.AuditEventTooLarge));
        var data = events.Single(e => e.GetProperty("event").GetString() == AuditEvents.AuthFailure).GetProperty("data");
        Assert.Equal("127.0.0.1", data.GetProperty("remote_ip").GetString());
        Assert.StartsWith("/control/😀", data.GetProperty("path").GetString(), StringComparison.Ordinal);
        Assert.All(File.ReadAllLines(gateway.AuditPath), l => Assert.True(System.Text.Encoding.UTF8.GetByteCount(l) < 4096));
    }

    [Fact]
    public async Task Requests_without_a_credential_are_audited_but_never_lock_anyone_out()
    {
        // A web page can make the browser send credential-less requests to 127.0.0.1; they must not lock out the user.
        var time = new FakeTimeProvider();
        await using var gateway = await Start(time);
        using var anonymous = gateway.Client();
        using var right = gateway.Client(Token);

        for (var i = 0; i < 25; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/control/status")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("/control/status")).StatusCode);
        await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.AuthFailure) == AuthFailureThrottle.CredentiallessAuditedPerWindow,
            "the first failures audited one by one");
    }

    [Fact]
    public async Task Credential_less_failures_past_the_allowance_are_summarised_per_client_when_the_window_ends()
    {
        // Unlimited lines would let any client push real evidence out through rotation (only audit.jsonl.1 is kept).
        // The second client is a forwarded one: every loopback source is the same client (one throttle key).
        var time = new FakeTimeProvider();
        await using var gateway = await Start(time, "gateway:\n  trustedProxies:\n    - 127.0.0.1\n");
        using var local = gateway.Client();
        using var remote = gateway.Client();
        remote.DefaultRequestHeaders.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.9");
        using var otherLoopback = gateway.RemoteClient();
        for (var i = 0; i < 20; i++)
        {
            await local.GetAsync("/control/status");
        }

        for (var i = 0; i < 5; i++)
        {
            await otherLoopback.GetAsync("/control/status");
        }

        for (var i = 0; i < 12; i++)
        {
            await remote.GetAsync("/control/status");
        }

        time.Advance(TimeSpan.FromSeconds(60));

        var events = await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.AuthFailuresSuppressed) == 2, "a summary per client");
        Assert.Equal(2 * AuthFailureThrottle.CredentiallessAuditedPerWindow, events.Count(AuditEvents.AuthFailure));
        var summaries = events.Where(e => e.GetProperty("event").GetString() == AuditEvents.AuthFailuresSuppressed)
            .Select(e => e.GetProperty("data")).ToDictionary(d => d.GetProperty("remote_ip").GetString()!, d => d.GetProperty("count").GetInt64());
        Assert.Equal(15, summaries["127.0.0.1"]);
        Assert.Equal(2, summaries["203.0.113.9"]);
        Assert.True(gateway.LogContains("15 more control requests without a credential from 127.0.0.1 within 60 s were refused"));

        // A new window starts a new allowance.
        await local.GetAsync("/control/status");
        await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.AuthFailure) == 2 * AuthFailureThrottle.CredentiallessAuditedPerWindow + 1,
            "the next window's first failure");
    }

    [Fact]
    public async Task Requests_refused_during_a_lockout_are_audited_as_one_line_when_it_ends()
    {
        var time = new FakeTimeProvider();
        await using var gateway = await Start(time);
        using var wrong = gateway.Client("wrong");
        using var right = gateway.Client(Token);
        using var anonymous = gateway.Client();
        for (var i = 0; i < 10; i++)
        {
            await wrong.GetAsync("/control/status");
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, (await wrong.GetAsync("/control/status")).StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, (await right.GetAsync("/control/status")).StatusCode);
            Assert.Equal(HttpStatusCode.TooManyRequests, (await anonymous.GetAsync("/control/status")).StatusCode);
        }

        time.Advance(TimeSpan.FromSeconds(300));

        var events = await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.AuthLockoutRefused) == 1, "the lockout's refusals");
        var refused = events.Single(e => e.GetProperty("event").GetString() == AuditEvents.AuthLockoutRefused).GetProperty("data");
        Assert.Equal("127.0.0.1", refused.GetProperty("remote_ip").GetString());
        Assert.Equal(9, refused.GetProperty("count").GetInt64());
        Assert.True(refused.GetProperty("lockout_over").GetBoolean());
        Assert.Equal(refused.GetProperty("lockout_started").GetDateTimeOffset().AddSeconds(300), refused.GetProperty("lockout_until").GetDateTimeOffset());
        Assert.Equal(10, events.Count(AuditEvents.AuthFailure));
        Assert.True(gateway.LogContains("Refused 9 control requests from 127.0.0.1 while it was locked out"));
    }

    [Fact]
    public async Task Refusals_of_a_lockout_still_running_at_shutdown_are_written_before_the_gateway_stops()
    {
        using var state = new Carapace.Testing.TempDirectory();
        var time = new FakeTimeProvider();
        var gateway = await GatewayFixture.StartAsync(null, TokenEnv(), services => services.AddSingleton<TimeProvider>(time), stateDirOverride: state.Path);
        await using (gateway)
        {
            using var wrong = gateway.Client("wrong");
            for (var i = 0; i < 14; i++)
            {
                await wrong.GetAsync("/control/status");
            }
        }

        var events = AuditFile.Read(Path.Combine(state.Path, "audit.jsonl"));
        var refused = events.Single(e => e.GetProperty("event").GetString() == AuditEvents.AuthLockoutRefused).GetProperty("data");
        Assert.Equal(4, refused.GetProperty("count").GetInt64());
        Assert.False(refused.GetProperty("lockout_over").GetBoolean());
    }

    [Fact]
    public void A_spray_of_credential_less_requests_loses_no_count_when_clients_are_evicted()
    {
        var time = new FakeTimeProvider();
        var throttle = new AuthFailureThrottle(AuthThrottleSettings.Default, time);
        var clients = 2 * AuthFailureThrottle.MaxEntries;
        var perClient = AuthFailureThrottle.CredentiallessAuditedPerWindow + 2;
        long audited = 0;

        for (var i = 0; i < clients; i++)
        {
            var address = new IPAddress(BitConverter.GetBytes(0x0A000000 + i));
            for (var n = 0; n < perClient; n++)
            {
                audited += throttle.RecordCredentialless(address, out var ended) ? 1 : 0;
                Assert.Null(ended);
            }
        }

        // Every request is audited in full or counted in a summary; evicted clients' counts arrive summed.
        Assert.InRange(throttle.TrackedClients, 1, AuthFailureThrottle.MaxEntries);
        var summaries = throttle.CollectSummaries(all: true);
        Assert.Equal((long)clients * perClient, audited + summaries.Sum(s => s.Count));
        Assert.Contains(summaries, s => s.Client is null && s.Clients > 1);
        Assert.True(audited < (long)clients * perClient);
        Assert.Empty(throttle.CollectSummaries(all: true));
    }

    [Fact]
    public async Task Failures_age_out_of_the_window()
    {
        var time = new FakeTimeProvider();
        await using var gateway = await Start(time);
        using var wrong = gateway.Client("wrong");

        for (var i = 0; i < 9; i++)
        {
            await wrong.GetAsync("/control/status");
        }

        time.Advance(TimeSpan.FromSeconds(61));
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/control/status")).StatusCode);
        }
    }

    [Fact]
    public async Task A_success_from_the_same_address_does_not_reset_the_count()
    {
        var time = new FakeTimeProvider();
        await using var gateway = await Start(time);
        using var wrong = gateway.Client("wrong");
        using var right = gateway.Client(Token);

        for (var i = 0; i < 5; i++)
        {
            await wrong.GetAsync("/control/status");
        }

        Assert.Equal(HttpStatusCode.OK, (await right.GetAsync("/control/status")).StatusCode);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/control/status")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await right.GetAsync("/control/status")).StatusCode);
    }

    [Fact]
    public async Task Every_loopback_source_address_is_one_client_so_rotating_them_gains_no_guesses()
    {
        // Any local process can bind any of 127.0.0.0/8; one failure from each of ten of them is ten failures.
        var time = new FakeTimeProvider();
        await using var gateway = await Start(time);
        for (var last = 2; last <= 11; last++)
        {
            using var wrong = Peers.From(IPAddress.Parse($"127.0.0.{last}"), gateway.BaseAddress, "wrong");
            await ProblemAssert.IsProblemAsync(await wrong.GetAsync("/control/status"), HttpStatusCode.Unauthorized, "unauthorized");
        }

        using var right = gateway.Client(Token);
        await ProblemAssert.IsProblemAsync(await right.GetAsync("/control/status"), HttpStatusCode.TooManyRequests, ControlAuthenticationHandler.LockedOutCode);
        var events = await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.AuthLockout) == 1, "the lockout");
        var lockout = events.Single(e => e.GetProperty("event").GetString() == AuditEvents.AuthLockout).GetProperty("data");
        Assert.Equal(10, lockout.GetProperty("failures").GetInt32());
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.2")]
    [InlineData("127.255.255.254")]
    [InlineData("::1")]
    [InlineData("::ffff:127.0.0.9")]
    public void The_whole_loopback_range_has_one_throttle_key(string address) =>
        Assert.Equal(IPAddress.Loopback, ClientAddress.ThrottleKey(IPAddress.Parse(address)));

    [Fact]
    public void Lockouts_are_per_client_and_a_locked_client_does_not_affect_others()
    {
        // Distinct non-loopback clients cannot be played from this machine's sockets (every local source
        // is loopback), so this goes through the key function and the throttle the handler uses.
        var time = new FakeTimeProvider();
        var throttle = new AuthFailureThrottle(AuthThrottleSettings.Default with { MaxFailures = 3 }, time);
        var attacker = ClientAddress.ThrottleKey(IPAddress.Parse("192.0.2.1"));
        var other = ClientAddress.ThrottleKey(IPAddress.Parse("192.0.2.2"));
        var otherV6 = ClientAddress.ThrottleKey(IPAddress.Parse("2001:db8:0:1::5"));
        var sameV6Host = ClientAddress.ThrottleKey(IPAddress.Parse("2001:db8:0:1::77"));
        Assert.NotEqual(attacker, other);
        Assert.Equal(otherV6, sameV6Host);
        Assert.Equal(ClientAddress.ThrottleKey(IPAddress.Parse("::ffff:192.0.2.1")), attacker);

        for (var i = 0; i < 3; i++)
        {
            throttle.RecordFailure(attacker);
        }

        Assert.NotNull(throttle.LockedOutFor(attacker));
        Assert.Null(throttle.LockedOutFor(other));
        Assert.Null(throttle.LockedOutFor(otherV6));
        Assert.Null(throttle.LockedOutFor(IPAddress.Loopback));
    }

    [Fact]
    public async Task Rotating_x_forwarded_for_through_a_trusted_proxy_is_counted_against_the_proxy()
    {
        var time = new FakeTimeProvider();
        await using var gateway = await Start(time, "gateway:\n  authThrottle:\n    maxFailures: 2\n  trustedProxies:\n    - 127.0.0.1\n");
        using var client = gateway.Client();

        async Task<HttpResponseMessage> Send(string? forwardedFor, string bearer)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
            if (forwardedFor is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
            }

            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
            return await client.SendAsync(request);
        }

        // One guess per invented client: no client ever reaches its own 2, the proxy reaches 2 x Factor.
        for (var i = 0; i < 2 * ProxyAuthFailureThrottle.Factor; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await Send($"198.51.100.{i + 1}", "wrong")).StatusCode);
        }

        await ProblemAssert.IsProblemAsync(await Send("198.51.100.200", Token), HttpStatusCode.TooManyRequests, ControlAuthenticationHandler.LockedOutCode);
        // The proxy's own direct requests are a different client.
        Assert.Equal(HttpStatusCode.OK, (await Send(null, Token)).StatusCode);

        var events = await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.AuthLockout) == 1, "the proxy lockout");
        var data = events.Single(e => e.GetProperty("event").GetString() == AuditEvents.AuthLockout).GetProperty("data");
        Assert.Equal("127.0.0.1", data.GetProperty("remote_ip").GetString());
        Assert.Equal("proxy", data.GetProperty("scope").GetString());
    }

    [Fact]
    public void Forty_lockouts_in_a_row_never_overflow_and_never_exceed_the_maximum()
    {
        // 900 s doubled 30 times overflowed a long: every later failure threw (a 500) and was never counted.
        var time = new FakeTimeProvider();
        var max = TimeSpan.FromSeconds(3600);
        var throttle = new AuthFailureThrottle(new AuthThrottleSettings(2, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(900), max), time);
        var client = IPAddress.Parse("192.0.2.1");

        for (var n = 0; n < 40; n++)
        {
            throttle.RecordFailure(client);
            var lockout = throttle.RecordFailure(client).LockoutStarted;
            Assert.NotNull(lockout);
            Assert.InRange(lockout.Value, TimeSpan.FromSeconds(900), max);
            Assert.Equal(lockout, throttle.LockedOutFor(client));
            time.Advance(lockout.Value);
        }

        Assert.Equal(max, throttle.LockoutFor(int.MaxValue));
    }

    [Fact]
    public void A_locked_out_client_is_not_evicted_by_a_spray_from_other_addresses()
    {
        var time = new FakeTimeProvider();
        var throttle = new AuthFailureThrottle(AuthThrottleSettings.Default, time);
        var locked = IPAddress.Parse("192.0.2.1");
        for (var i = 0; i < AuthThrottleSettings.Default.MaxFailures; i++)
        {
            throttle.RecordFailure(locked);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 3 * AuthFailureThrottle.MaxEntries; i++)
        {
            throttle.RecordFailure(new IPAddress(BitConverter.GetBytes(0x0A000000 + i)));
        }

        Assert.InRange(throttle.TrackedClients, 1, AuthFailureThrottle.MaxEntries);
        Assert.Equal(TimeSpan.FromSeconds(299), throttle.LockedOutFor(locked));
    }

    [Fact]
    public async Task Forwarded_clients_behind_a_trusted_proxy_are_throttled_separately()
    {
        var time = new FakeTimeProvider();
        await using var gateway = await Start(time, "gateway:\n  authThrottle:\n    maxFailures: 2\n  trustedProxies:\n    - 127.0.0.1\n");
        using var client = gateway.Client();

        async Task<HttpStatusCode> Send(string forwardedFor, string bearer)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/control/status");
            request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + bearer);
            return (await client.SendAsync(request)).StatusCode;
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await Send("203.0.113.7", "wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, await Send("203.0.113.7", "wrong"));

        Assert.Equal(HttpStatusCode.TooManyRequests, await Send("203.0.113.7", Token));
        Assert.Equal(HttpStatusCode.OK, await Send("203.0.113.8", Token));
        var events = await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.AuthLockout) == 1, "the lockout");
        var data = events.Single(e => e.GetProperty("event").GetString() == AuditEvents.AuthLockout).GetProperty("data");
        Assert.Equal("203.0.113.7", data.GetProperty("remote_ip").GetString());
        Assert.Equal("127.0.0.1", data.GetProperty("peer_ip").GetString());
    }

    [Fact]
    public void Repeated_lockouts_double_up_to_the_maximum_and_reset_after_a_clean_period()
    {
        var time = new FakeTimeProvider();
        var throttle = new AuthFailureThrottle(new AuthThrottleSettings(2, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(300)), time);
        var client = IPAddress.Parse("192.0.2.1");

        TimeSpan? Lock()
        {
            throttle.RecordFailure(client);
            return throttle.RecordFailure(client).LockoutStarted;
        }

        Assert.Equal(TimeSpan.FromSeconds(100), Lock());
        Assert.Equal(TimeSpan.FromSeconds(100), throttle.LockedOutFor(client));
        time.Advance(TimeSpan.FromSeconds(100));
        Assert.Null(throttle.LockedOutFor(client));
        Assert.Equal(TimeSpan.FromSeconds(200), Lock());
        time.Advance(TimeSpan.FromSeconds(200));
        Assert.Equal(TimeSpan.FromSeconds(300), Lock());
        time.Advance(TimeSpan.FromSeconds(300));
        Assert.Equal(TimeSpan.FromSeconds(300), Lock());
        time.Advance(TimeSpan.FromSeconds(300 + 301));
        Assert.Equal(TimeSpan.FromSeconds(100), Lock());
    }

    [Fact]
    public void Failures_during_a_lockout_do_not_extend_it()
    {
        var time = new FakeTimeProvider();
        var throttle = new AuthFailureThrottle(new AuthThrottleSettings(2, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(100), TimeSpan.FromSeconds(300)), time);
        var client = IPAddress.Parse("192.0.2.1");
        throttle.RecordFailure(client);
        throttle.RecordFailure(client);

        time.Advance(TimeSpan.FromSeconds(50));
        Assert.Null(throttle.RecordFailure(client).LockoutStarted);

        Assert.Equal(TimeSpan.FromSeconds(50), throttle.LockedOutFor(client));
    }

    [Fact]
    public void Memory_stays_bounded_under_a_spray_from_many_addresses()
    {
        var time = new FakeTimeProvider();
        var throttle = new AuthFailureThrottle(AuthThrottleSettings.Default, time);

        for (var i = 0; i < 3 * AuthFailureThrottle.MaxEntries; i++)
        {
            throttle.RecordFailure(new IPAddress(BitConverter.GetBytes(0x0A000000 + i)));
        }

        Assert.InRange(throttle.TrackedClients, 1, AuthFailureThrottle.MaxEntries);

        // Once everything has aged out, a sweep forgets it all.
        time.Advance(AuthThrottleSettings.Default.Window + AuthThrottleSettings.Default.MaxLockout + TimeSpan.FromSeconds(1));
        throttle.RecordFailure(IPAddress.Parse("192.0.2.1"));
        Assert.Equal(1, throttle.TrackedClients);
    }
}
