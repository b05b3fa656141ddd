using System.Net;
using Microsoft.Extensions.Options;

namespace Carapace.Host.Outbound;

/// <summary>The <c>network</c> configuration section.</summary>
internal sealed class OutboundOptions
{
    public const string SectionName = "network";
    public const long DefaultBodyCap = 10 * 1024 * 1024;

    /// <summary>
    /// Operator exceptions to the private-address block, as CIDRs or single addresses
    /// (<c>192.168.1.20</c>, <c>10.0.0.0/8</c>, <c>fd00::/8</c>). Logged at start.
    /// </summary>
    public List<string> AllowPrivate { get; set; } = [];

    /// <summary>Timeout applied when a request sets none.</summary>
    public int TimeoutSeconds { get; set; } = 30;

    /// <summary>Upper bound for a request's own timeout.</summary>
    public int MaxTimeoutSeconds { get; set; } = 300;

    public long MaxRequestBytes { get; set; } = DefaultBodyCap;

    public long MaxResponseBytes { get; set; } = DefaultBodyCap;

    /// <summary>Default per-plugin rate limit.</summary>
    public int PluginRequestsPerMinute { get; set; } = 100;

    /// <summary>Parses <see cref="AllowPrivate"/>; entries that do not parse land in <paramref name="errors"/>.</summary>
    public IReadOnlyList<IPNetwork> ParseAllowPrivate(List<string> errors)
    {
        var networks = new List<IPNetwork>();
        for (var i = 0; i < AllowPrivate.Count; i++)
        {
            var raw = AllowPrivate[i];
            if (TryParseNetwork(raw, out var network, out var error))
            {
                networks.Add(network);
            }
            else
            {
                errors.Add($"network:allowPrivate:{i}: '{raw}': {error}");
            }
        }

        return networks;
    }

    internal static bool TryParseNetwork(string? raw, out IPNetwork network, out string error)
    {
        network = default;
        var text = raw?.Trim() ?? "";
        if (text.Length == 0)
        {
            error = "empty entry";
            return false;
        }

        if (!text.Contains('/', StringComparison.Ordinal))
        {
            if (!IPAddress.TryParse(text, out var single) || !IsCanonicalAddressText(text))
            {
                error = "not an IP address or CIDR";
                return false;
            }

            text = $"{single}/{(single.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)}";
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (!IPAddress.TryParse(text[..slash], out var baseAddress) || !IsCanonicalAddressText(text[..slash])
            || !IPNetwork.TryParse(text, out network))
        {
            error = "not a valid CIDR";
            return false;
        }

        // IPNetwork.TryParse silently masks host bits ("10.0.0.1/8" becomes 10.0.0.0/8): refuse instead,
        // an exception to a security rule must say exactly what it means.
        if (!network.BaseAddress.Equals(baseAddress))
        {
            error = $"host bits set (did you mean {network}?)";
            return false;
        }

        if (baseAddress.IsIPv4MappedToIPv6)
        {
            error = "write IPv4 exceptions in IPv4 form";
            return false;
        }

        // An exception is for one private network, not a way to switch the guard off: nothing wider than the
        // widest private range (10.0.0.0/8, fc00::/7) is accepted, so "0.0.0.0/0" or two "/1" halves fail here.
        var widest = baseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 8 : 7;
        if (network.PrefixLength < widest)
        {
            error = $"too broad: a prefix shorter than /{widest} would exempt public addresses";
            return false;
        }

        error = "";
        return true;
    }

    // IPAddress.TryParse accepts inet_aton shorthand ("10.1", "0x0a000001"); configuration must be plain.
    private static bool IsCanonicalAddressText(string text) =>
        text.Contains(':', StringComparison.Ordinal)
        || (text.Split('.') is { Length: 4 } parts
            && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0')));
}

/// <summary>
/// Validates <see cref="OutboundOptions"/> at start (and in <c>cara config validate</c>, through
/// <see cref="Configuration.ConfigValidation"/>). Each message starts with the key it is about.
/// </summary>
internal sealed class OutboundOptionsValidator : IValidateOptions<OutboundOptions>
{
    public ValidateOptionsResult Validate(string? name, OutboundOptions options)
    {
        var errors = new List<string>();
        options.ParseAllowPrivate(errors);
        if (options.TimeoutSeconds <= 0 || options.TimeoutSeconds > options.MaxTimeoutSeconds)
        {
            errors.Add($"network:timeoutSeconds: must be positive and at most network.maxTimeoutSeconds ({options.MaxTimeoutSeconds}) (got {options.TimeoutSeconds})");
        }

        if (options.MaxTimeoutSeconds <= 0)
        {
            errors.Add($"network:maxTimeoutSeconds: must be positive (got {options.MaxTimeoutSeconds})");
        }

        Bytes(errors, "network:maxRequestBytes", options.MaxRequestBytes);
        Bytes(errors, "network:maxResponseBytes", options.MaxResponseBytes);
        if (options.PluginRequestsPerMinute <= 0)
        {
            errors.Add($"network:pluginRequestsPerMinute: must be positive (got {options.PluginRequestsPerMinute})");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Bytes(List<string> errors, string key, long value)
    {
        if (value is <= 0 or > int.MaxValue)
        {
            errors.Add($"{key}: must be positive and below 2 GiB (got {value})");
        }
    }
}
