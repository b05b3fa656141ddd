using Carapace.Storage;

namespace Carapace.Host.Configuration;

/// <summary>
/// Finds <c>carapace.yaml</c>: <c>--config</c>, then <c>CARAPACE_CONFIG_PATH</c>, then
/// <c>$CARAPACE_STATE_DIR/carapace.yaml</c>, then <c>${XDG_CONFIG_HOME:-~/.config}/carapace/carapace.yaml</c>.
/// An explicitly named file must exist; otherwise a missing file means "built-in defaults only".
/// </summary>
internal static class ConfigLocator
{
    public const string PathVariable = "CARAPACE_CONFIG_PATH";
    public const string FileName = "carapace.yaml";

    public static ConfigLocation Locate(string? commandLinePath, Func<string, string?> getEnv)
    {
        if (!string.IsNullOrWhiteSpace(commandLinePath))
        {
            return new ConfigLocation(Path.GetFullPath(commandLinePath), Explicit: true, "--config");
        }

        var fromEnv = getEnv(PathVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv))
        {
            return new ConfigLocation(Path.GetFullPath(fromEnv), Explicit: true, PathVariable);
        }

        var stateDir = getEnv(StateDirectory.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(stateDir))
        {
            var candidate = Path.Combine(Path.GetFullPath(stateDir), FileName);
            if (File.Exists(candidate))
            {
                return new ConfigLocation(candidate, Explicit: false, StateDirectory.EnvironmentVariable);
            }
        }

        var userFile = Path.Combine(StateDirectory.DefaultConfigHome(getEnv), "carapace", FileName);
        return new ConfigLocation(userFile, Explicit: false, "default location");
    }
}

/// <summary>Where the configuration file is (or would be) and why.</summary>
/// <param name="Path">Absolute path.</param>
/// <param name="Explicit">Named by the user; a missing file is then an error.</param>
/// <param name="Reason">Which rule chose it.</param>
internal sealed record ConfigLocation(string Path, bool Explicit, string Reason);
