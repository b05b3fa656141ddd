using Carapace.Host.Gateway;
using Carapace.Host.Logging;

namespace Carapace.Host.Configuration;

/// <summary>
/// Validates every section Carapace reads, without starting anything; shared by <c>cara start</c>
/// and <c>cara config validate</c> so both report the same errors.
/// </summary>
internal static class ConfigValidation
{
    public static IReadOnlyList<ConfigError> Validate(LoadedConfiguration config)
    {
        var reader = new SettingsReader(config);
        GatewaySettingsReader.Read(reader);
        LoggingSettings.Read(reader);
        return reader.Errors;
    }
}
