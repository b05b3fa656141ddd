namespace Carapace.Host.Configuration;

/// <summary>The configuration cannot be used; <see cref="Errors"/> says exactly why and where.</summary>
internal sealed class ConfigurationException : Exception
{
    public ConfigurationException(IReadOnlyList<ConfigError> errors)
        : base(string.Join(Environment.NewLine, errors.Select(e => e.ToString()))) => Errors = errors;

    public ConfigurationException(ConfigError error) : this([error]) { }

    public IReadOnlyList<ConfigError> Errors { get; }
}
