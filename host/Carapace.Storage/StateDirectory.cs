namespace Carapace.Storage;

/// <summary>
/// Where Carapace keeps its state: <c>CARAPACE_STATE_DIR</c>, else
/// <c>${XDG_CONFIG_HOME:-~/.config}/carapace</c> (on Windows <c>%APPDATA%\carapace</c>).
/// </summary>
internal sealed class StateDirectory
{
    public const string EnvironmentVariable = "CARAPACE_STATE_DIR";

    public StateDirectory(string root) => Root = Path.GetFullPath(root);

    public string Root { get; }

    public string LogsDir => Path.Combine(Root, "logs");
    public string PluginsDir => Path.Combine(Root, "plugins");
    public string CredentialsDir => Path.Combine(Root, "credentials");
    public string AuditLogPath => Path.Combine(Root, "audit.jsonl");

    /// <summary>Resolves the state directory from the environment (see class remarks).</summary>
    public static StateDirectory Resolve(Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        var explicitDir = getEnv(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(explicitDir))
        {
            return new StateDirectory(explicitDir);
        }

        return new StateDirectory(Path.Combine(DefaultConfigHome(getEnv), "carapace"));
    }

    /// <summary>The per-user configuration home (XDG on Unix, %APPDATA% on Windows).</summary>
    public static string DefaultConfigHome(Func<string, string?>? getEnv = null)
    {
        getEnv ??= Environment.GetEnvironmentVariable;
        if (OperatingSystem.IsWindows())
        {
            return Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData);
        }

        var xdg = getEnv("XDG_CONFIG_HOME");
        if (!string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg))
        {
            return xdg;
        }

        var home = getEnv("HOME");
        if (string.IsNullOrWhiteSpace(home))
        {
            home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        }

        return Path.Combine(home, ".config");
    }

    /// <summary>Creates the root (0700), tightening it if an older install left it wider.</summary>
    public void EnsureCreated() => OwnerOnly.EnsureDirectory(Root);

    /// <summary>Creates a sub-directory of the state dir with 0700.</summary>
    public string EnsureSubdirectory(string relative)
    {
        EnsureCreated();
        var path = Path.Combine(Root, relative);
        OwnerOnly.EnsureDirectory(path);
        return path;
    }

    /// <summary>True when a probe file can be created and deleted in the root.</summary>
    public bool IsWritable()
    {
        try
        {
            EnsureCreated();
            var probe = Path.Combine(Root, $".write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
            File.WriteAllBytes(probe, []);
            File.Delete(probe);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
