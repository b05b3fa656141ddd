using System.Text.RegularExpressions;
using Carapace.Host.Credentials;
using Carapace.Host.Gateway;
using Carapace.Host.Logging;
using Carapace.Host.Outbound;
using Carapace.Plugins.Runtime;
using Carapace.Sandbox.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Carapace.Host.Configuration;

/// <summary>
/// Every check <c>cara start</c> runs on the configuration before it starts anything. <c>cara config
/// validate</c> runs the same list, so a file validate accepts is a file start accepts, with the same
/// messages. Sections bound to options classes (network, sandbox) run the very validators that the
/// gateway registers with <c>ValidateOnStart</c>; those stay registered as a second line.
/// </summary>
internal static partial class ConfigValidation
{
    private static readonly Action<SettingsReader>[] SectionChecks =
    [
        reader => Options<OutboundOptions>(reader, OutboundOptions.SectionName, new OutboundOptionsValidator()),
        reader => Options<SandboxOptions>(reader, SandboxOptions.SectionName, new SandboxOptionsValidator()),
        PluginRuntime,
        CredentialSettingsCheck.Check,
    ];

    /// <summary>Reads and validates everything; throws with every problem found.</summary>
    /// <exception cref="ConfigurationException">The configuration (or a flag) is invalid.</exception>
    public static StartSettings Read(LoadedConfiguration config, string? bindOverride = null, int? portOverride = null)
    {
        var reader = new SettingsReader(config);
        var gateway = GatewaySettingsReader.Read(reader, bindOverride, portOverride);
        var logging = LoggingSettings.Read(reader);
        foreach (var check in SectionChecks)
        {
            check(reader);
        }

        reader.ThrowIfInvalid();
        return new StartSettings(gateway, logging);
    }

    /// <summary>The problems <see cref="Read"/> would throw for, or none.</summary>
    public static IReadOnlyList<ConfigError> Validate(LoadedConfiguration config)
    {
        try
        {
            Read(config);
            return [];
        }
        catch (ConfigurationException ex)
        {
            return ex.Errors;
        }
    }

    private static void Options<T>(SettingsReader reader, string section, IValidateOptions<T> validator) where T : class, new()
    {
        // Bound exactly as the options system binds it at start: onto a fresh instance.
        var options = new T();
        try
        {
            reader.Config.Configuration.GetSection(section).Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the property path ("network:TimeoutSeconds"); report the key as written.
            var path = BinderKey().Match(ex.Message) is { Success: true } m ? m.Groups["key"].Value : section;
            var key = reader.Config.Values.Keys.FirstOrDefault(k => string.Equals(k, path, StringComparison.OrdinalIgnoreCase)) ?? path;
            reader.Fail(key, $"cannot be read as {Describe(ex.Message)} (got '{reader.String(key)}')");
            return;
        }

        var result = validator.Validate(Microsoft.Extensions.Options.Options.DefaultName, options);
        foreach (var failure in result.Failures ?? [])
        {
            FailFromMessage(reader, failure);
        }
    }

    private static void PluginRuntime(SettingsReader reader)
    {
        try
        {
            PluginRuntimeOptions.FromConfiguration(reader.Config.Configuration);
        }
        catch (PluginOptionsException ex)
        {
            reader.Fail(ex.Key.Replace('.', ':'), ex.Problem);
        }
    }

    // Validators outside Configuration/ report "section:key: message" or "section:key message";
    // the key is lifted out so the error is located at the line that set it.
    private static void FailFromMessage(SettingsReader reader, string message)
    {
        var match = LeadingKey().Match(message);
        if (match.Success)
        {
            reader.Fail(match.Groups["key"].Value, match.Groups["rest"].Value);
        }
        else
        {
            reader.FailUnlocated(message);
        }
    }

    private static string Describe(string binderMessage) =>
        binderMessage.Contains("System.Boolean", StringComparison.Ordinal) ? "true or false"
        : binderMessage.Contains("System.Int", StringComparison.Ordinal) || binderMessage.Contains("System.UInt", StringComparison.Ordinal) ? "a whole number"
        : "the expected type";

    [GeneratedRegex(@"at '(?<key>[^']+)'", RegexOptions.CultureInvariant)]
    private static partial Regex BinderKey();

    [GeneratedRegex(@"^(?<key>[A-Za-z][\w-]*(?::[^\s:/]+)+)(?::\s|\s)\s*(?<rest>.+)$", RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex LeadingKey();
}

/// <summary>What <c>cara start</c> needs out of a validated configuration.</summary>
internal sealed record StartSettings(GatewaySettings Gateway, LoggingSettings Logging);
