using Microsoft.Extensions.Configuration;

namespace Carapace.Plugins.Signing;

/// <summary>
/// The signature policy for managed installs, from configuration:
/// <list type="bullet">
/// <item><c>plugins:signature:requireSignature</c> (bool, default <c>true</c>): every package must be
/// signed by a trusted publisher; <c>--allow-unsigned</c> cannot override it.</item>
/// <item><c>plugins:signature:trustedPublishers</c> (list of 64-hex Ed25519 public keys, default empty).</item>
/// <item><c>plugins:signature:enabled</c> (bool, default <c>true</c>; the upstream key): <c>false</c>
/// is read as <c>requireSignature: false</c>. It never turns verification off: a present signature
/// that is bad is refused whatever the configuration says.</item>
/// </list>
/// </summary>
internal sealed record SignaturePolicy(bool RequireSignature, IReadOnlySet<PublisherKey> TrustedPublishers)
{
    public const string SectionPath = "plugins:signature";

    /// <summary>The safe default: signatures required, nobody trusted yet.</summary>
    public static SignaturePolicy Default { get; } = new(true, new HashSet<PublisherKey>());

    public bool IsTrusted(PublisherKey key) => TrustedPublishers.Contains(key);

    /// <summary>Reads the policy; throws <see cref="SignaturePolicyException"/> listing every invalid key.</summary>
    public static SignaturePolicy FromConfiguration(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionPath);
        var errors = new List<string>();
        var enabled = ReadBool(section, "enabled", true, errors);
        var require = ReadBool(section, "requireSignature", true, errors);

        var trusted = new HashSet<PublisherKey>();
        var list = section.GetSection("trustedPublishers");
        if (list.Value is { Length: > 0 } single)
        {
            // A scalar where a list was expected: accept one key, since YAML makes this an easy slip.
            Add(single, "plugins.signature.trustedPublishers");
        }

        foreach (var child in list.GetChildren())
        {
            Add(child.Value, $"plugins.signature.trustedPublishers[{child.Key}]");
        }

        if (errors.Count > 0)
        {
            throw new SignaturePolicyException(errors);
        }

        return new SignaturePolicy(enabled && require, trusted);

        void Add(string? value, string where)
        {
            if (PublisherKey.TryParse(value, out var key))
            {
                trusted.Add(key);
            }
            else
            {
                errors.Add($"{where}: '{value}' is not an Ed25519 public key (64 hex characters)");
            }
        }
    }

    private static bool ReadBool(IConfigurationSection section, string key, bool fallback, List<string> errors)
    {
        var value = section[key];
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        if (bool.TryParse(value.Trim(), out var parsed))
        {
            return parsed;
        }

        errors.Add($"plugins.signature.{key}: '{value}' is not true or false");
        return fallback;
    }
}

/// <summary>The <c>plugins.signature</c> section is invalid; <see cref="Errors"/> has one line per key.</summary>
internal sealed class SignaturePolicyException : Exception
{
    public SignaturePolicyException(IReadOnlyList<string> errors)
        : base("invalid plugins.signature configuration: " + string.Join("; ", errors)) => Errors = errors;

    public SignaturePolicyException() : this([]) { }

    public SignaturePolicyException(string message) : this([message]) { }

    public SignaturePolicyException(string message, Exception innerException) : base(message, innerException) => Errors = [message];

    public IReadOnlyList<string> Errors { get; }
}
