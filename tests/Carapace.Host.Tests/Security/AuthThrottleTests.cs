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
        await AuditFile.WaitForAsync(gateway.AuditPath, e => e.Count(AuditEvents.AuthFailure) == 25, "25 audited failures");
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
    public async Task Lockouts_are_per_client_and_a_locked_client_does_not_affect_others()
    {
        var time = new FakeTimeProvider();
        await using var gateway = await Start(time, "gateway:\n  authThrottle:\n    maxFailures: 3\n");
        using var remoteWrong = gateway.RemoteClient("wrong");
        using var remoteRight = gateway.RemoteClient(Token);
        using var loopback = gateway.Client(Token);

        for (var i = 0; i < 3; i++)
        {
            await remoteWrong.GetAsync("/control/status");
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, (await remoteRight.GetAsync("/control/status")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await loopback.GetAsync("/control/status")).StatusCode);
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
