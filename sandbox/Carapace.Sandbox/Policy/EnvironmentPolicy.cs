namespace Carapace.Sandbox.Policy;

/// <summary>
/// Builds the child's environment from nothing (never from the host's): a fixed base, then inherited and
/// requested names that pass both the allowlist and the deny rules. Deny always wins.
/// </summary>
internal static class EnvironmentPolicy
{
    /// <summary>Carapace's own secret variables (the upstream's ALWAYS_STRIP_FROM_CHILDREN).</summary>
    public static IReadOnlyList<string> CarapaceSecretNames { get; } =
    [
        "CARAPACE_CONFIG_PASSWORD", "MATRIX_STORE_PASSPHRASE", "MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN",
        "CARAPACE_GATEWAY_TOKEN", "CARAPACE_GATEWAY_PASSWORD", "CARAPACE_SERVER_SECRET", "CARAPACE_HOOKS_TOKEN",
    ];

    private static readonly string[] DeniedPrefixes = ["LD_", "DOTNET_", "COMPLUS_", "CORECLR_", "DYLD_"];
    private static readonly string[] DeniedFragments = ["KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL"];

    public const string DefaultPath = "/usr/local/bin:/usr/bin:/bin";

    public static bool IsDenied(string name)
    {
        if (name.Length == 0 || name.Contains('=', StringComparison.Ordinal) || name.Contains('\0', StringComparison.Ordinal))
        {
            return true;
        }

        var upper = name.ToUpperInvariant();
        return CarapaceSecretNames.Contains(upper, StringComparer.Ordinal)
            || DeniedPrefixes.Any(p => upper.StartsWith(p, StringComparison.Ordinal))
            || DeniedFragments.Any(f => upper.Contains(f, StringComparison.Ordinal));
    }

    /// <summary>The POSIX child environment (Linux, macOS).</summary>
    public static SortedDictionary<string, string> Build(SandboxRequest request, string scratch, Func<string, string?> hostEnvironment)
    {
        var env = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = DefaultPath,
            ["LANG"] = "C.UTF-8",
        };
        AddRequested(env, request, hostEnvironment);

        // Fixed last: the child's home and temp are its private scratch directory, never the host's.
        env["HOME"] = scratch;
        env["TMPDIR"] = scratch;
        return env;
    }

    /// <summary>
    /// The Windows child environment: names are case-insensitive there, and programs need SystemRoot (DLL
    /// loading, Winsock, crypto) and a PATH into System32. Same allowlist and deny rules as <see cref="Build"/>.
    /// </summary>
    public static SortedDictionary<string, string> BuildWindows(SandboxRequest request, string scratch, Func<string, string?> hostEnvironment)
    {
        var systemRoot = hostEnvironment("SystemRoot") is { Length: > 0 } root && !root.Contains('\0', StringComparison.Ordinal) ? root.TrimEnd('\\') : @"C:\Windows";
        var env = new SortedDictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["SystemRoot"] = systemRoot,
            ["windir"] = systemRoot,
            ["PATH"] = $@"{systemRoot}\System32;{systemRoot};{systemRoot}\System32\Wbem",
            ["PATHEXT"] = ".COM;.EXE;.BAT;.CMD",
            ["ComSpec"] = $@"{systemRoot}\System32\cmd.exe",
        };
        AddRequested(env, request, hostEnvironment);
        env["TEMP"] = scratch;
        env["TMP"] = scratch;
        env["USERPROFILE"] = scratch;
        env["HOME"] = scratch;
        return env;
    }

    private static void AddRequested(SortedDictionary<string, string> env, SandboxRequest request, Func<string, string?> hostEnvironment)
    {
        foreach (var name in request.InheritEnvironment)
        {
            if (!IsDenied(name) && hostEnvironment(name) is { } value && !value.Contains('\0', StringComparison.Ordinal))
            {
                env[name] = value;
            }
        }

        foreach (var (name, value) in request.Environment)
        {
            if (request.EnvironmentAllowlist.Contains(name) && !IsDenied(name) && !value.Contains('\0', StringComparison.Ordinal))
            {
                env[name] = value;
            }
        }
    }
}
