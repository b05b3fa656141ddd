using Carapace.Host.Credentials;
using Carapace.Host.Credentials.SecretService;

namespace Carapace.Host.Tests.Credentials.Support;

/// <summary>
/// A fact that needs a real Secret Service on the session bus (run the suite under
/// <c>tests/setup/with-secret-service.sh</c>). Without one the test is skipped — unless
/// <c>CARAPACE_REQUIRE_SECRET_SERVICE=1</c>, in which case it runs and fails via
/// <see cref="SecretServiceAvailability.Require"/>, so CI can never pass by skipping.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class SecretServiceFactAttribute : FactAttribute
{
    public SecretServiceFactAttribute()
    {
        if (!SecretServiceAvailability.Probe.Value.Available && !SecretServiceAvailability.Required)
        {
            Skip = "no Secret Service reachable (" + SecretServiceAvailability.Probe.Value.Reason +
                   "); run under tests/setup/with-secret-service.sh, or set CARAPACE_REQUIRE_SECRET_SERVICE=1 to fail instead";
        }
    }
}

internal static class SecretServiceAvailability
{
    public const string RequireVariable = "CARAPACE_REQUIRE_SECRET_SERVICE";

    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    public static readonly Lazy<SecretServiceProbeResult> Probe = new(() =>
        SecretServiceCredentialBackend.ProbeAsync(CredentialEnvironment.Process, new SecretServiceOptions(), TimeSpan.FromSeconds(5))
            .GetAwaiter().GetResult());

    /// <summary>Fails the calling test with a clear message when no usable Secret Service is reachable.</summary>
    public static void Require()
    {
        var probe = Probe.Value;
        Assert.True(probe.Available,
            $"{RequireVariable}=1 but no Secret Service is reachable: {probe.Reason}. Run the tests under tests/setup/with-secret-service.sh.");
        Assert.False(probe.Locked, "the Secret Service default collection is locked; the test keyring must be unlocked");
    }
}
