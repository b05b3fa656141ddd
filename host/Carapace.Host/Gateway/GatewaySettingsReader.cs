using Carapace.Host.Configuration;
using Carapace.Host.Security;

namespace Carapace.Host.Gateway;

/// <summary>Reads and validates <c>gateway.*</c>; command-line overrides win over the file.</summary>
internal static class GatewaySettingsReader
{
    public static GatewaySettings Read(SettingsReader reader, string? bindOverride = null, int? portOverride = null)
    {
        var bindText = bindOverride ?? reader.String("gateway:bind", "loopback");
        if (!BindAddress.TryParse(bindText, out var address))
        {
            if (bindOverride is null)
            {
                reader.Fail("gateway:bind", $"{BindAddress.Expected} (got '{bindText}')");
            }
            else
            {
                throw new ConfigurationException(new ConfigError("--bind", $"{BindAddress.Expected} (got '{bindText}')"));
            }
        }

        var port = reader.Int("gateway:port", GatewaySettings.DefaultPort, 0, 65535);
        if (portOverride is { } p)
        {
            if (p is < 0 or > 65535)
            {
                throw new ConfigurationException(new ConfigError("--port", $"must be between 0 and 65535 (got {p})"));
            }

            port = p;
        }

        return new GatewaySettings
        {
            BindAddress = address,
            BindText = bindText,
            Port = port,
            AuthMode = ReadMode(reader),
            ConfigToken = NonBlank(reader.String("gateway:auth:token")),
            ConfigPassword = NonBlank(reader.String("gateway:auth:password")),
            ControlEnabled = reader.Bool("gateway:control:enabled", true),
            Security = SecuritySettings.Read(reader),
        };
    }

    private static GatewayAuthMode? ReadMode(SettingsReader reader)
    {
        var raw = reader.String("gateway:auth:mode");
        switch (raw?.Trim().ToLowerInvariant())
        {
            case null or "":
                return null;
            case "token":
                return GatewayAuthMode.Token;
            case "password":
                return GatewayAuthMode.Password;
            case "none" or "local":
                return GatewayAuthMode.None;
            default:
                reader.Fail("gateway:auth:mode", $"unknown gateway auth mode '{raw}'; expected one of: none, local, token, password");
                return null;
        }
    }

    // Configured secrets are compared exactly as written; only an all-blank value counts as unset.
    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
