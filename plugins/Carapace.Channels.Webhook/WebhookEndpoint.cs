using Microsoft.Extensions.Configuration;

namespace Carapace.Channels.Webhook;

/// <summary>How an endpoint authenticates inbound requests.</summary>
internal enum WebhookAuth
{
    /// <summary>Header carries <c>sha256=&lt;hex&gt;</c>, the HMAC-SHA256 of the raw body keyed with the secret.</summary>
    Hmac,

    /// <summary>Header carries the shared secret itself.</summary>
    Secret,
}

/// <summary>One configured endpoint: <c>plugins:webhook:endpoints:&lt;name&gt;</c>.</summary>
internal sealed record WebhookEndpoint(string Name, WebhookAuth Auth, string Secret, string Header, Uri? OutboundUrl)
{
    public const string DefaultSignatureHeader = "x-carapace-signature";
    public const string DefaultSecretHeader = "x-carapace-secret";

    public static IReadOnlyDictionary<string, WebhookEndpoint> Read(IConfiguration configuration)
    {
        var endpoints = new Dictionary<string, WebhookEndpoint>(StringComparer.Ordinal);
        foreach (var section in configuration.GetSection("endpoints").GetChildren())
        {
            var auth = section["auth"] switch
            {
                null or "" or "hmac" => WebhookAuth.Hmac,
                "secret" => WebhookAuth.Secret,
                var other => throw new InvalidOperationException($"endpoints:{section.Key}:auth must be hmac or secret, not '{other}'"),
            };
            var secret = section["secret"];
            if (string.IsNullOrEmpty(secret))
            {
                throw new InvalidOperationException($"endpoints:{section.Key}:secret is required");
            }

            var header = (section["header"] ?? (auth == WebhookAuth.Hmac ? DefaultSignatureHeader : DefaultSecretHeader)).ToLowerInvariant();
            var url = section["outboundUrl"] is { Length: > 0 } text ? new Uri(text, UriKind.Absolute) : null;
            endpoints[section.Key] = new WebhookEndpoint(section.Key, auth, secret, header, url);
        }

        return endpoints;
    }

    public override string ToString() => $"WebhookEndpoint {{ Name = {Name}, Auth = {Auth} }}";
}
