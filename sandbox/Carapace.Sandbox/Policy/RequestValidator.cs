namespace Carapace.Sandbox.Policy;

/// <summary>Shape checks that do not depend on the platform. Failures throw <see cref="InvalidSandboxRequestException"/>.</summary>
internal static class RequestValidator
{
    public const int MaxCapBytes = 256 * 1024 * 1024;

    public static void Validate(SandboxRequest r)
    {
        ArgumentNullException.ThrowIfNull(r);
        RequireAbsolute(r.Executable, "executable");
        if (r.WorkingDirectory is { } cwd)
        {
            RequireAbsolute(cwd, "working directory");
        }

        foreach (var root in r.ReadOnlyRoots.Concat(r.ReadWriteRoots))
        {
            RequireAbsolute(root, "root");
        }

        if (r.Arguments.Any(a => a is null || a.Contains('\0', StringComparison.Ordinal)))
        {
            throw new InvalidSandboxRequestException("arguments must not be null or contain NUL");
        }

        if (r.Network.Mode == SandboxNetworkMode.None && r.Network.ConnectPorts.Count > 0)
        {
            throw new InvalidSandboxRequestException("network 'none' cannot carry connect ports");
        }

        if (r.Network.ConnectPorts.Any(p => p is < 1 or > 65535))
        {
            throw new InvalidSandboxRequestException("connect ports must be in 1..65535");
        }

        if (r.Timeout <= TimeSpan.Zero || r.Timeout > TimeSpan.FromDays(1))
        {
            throw new InvalidSandboxRequestException("timeout must be in (0, 1 day]");
        }

        if (r.StdoutCapBytes is < 0 or > MaxCapBytes || r.StderrCapBytes is < 0 or > MaxCapBytes)
        {
            throw new InvalidSandboxRequestException($"output caps must be in [0, {MaxCapBytes}]");
        }

        var l = r.Limits;
        if (l.CpuSeconds is <= 0 || l.AddressSpaceBytes is <= 0 || l.OpenFiles is <= 0 || l.Processes is <= 0 || l.FileSizeBytes is < 0)
        {
            throw new InvalidSandboxRequestException("resource limits must be positive");
        }
    }

    private static void RequireAbsolute(string path, string what)
    {
        if (string.IsNullOrEmpty(path) || !Path.IsPathFullyQualified(path) || path.Contains('\0', StringComparison.Ordinal))
        {
            throw new InvalidSandboxRequestException($"{what} '{path}' must be an absolute path");
        }
    }

    /// <summary>
    /// Every backend's check that the executable, symlinks resolved, lies inside one of the roots (also
    /// resolved). The Linux launcher repeats it; on macOS and Windows it is the only such check before the
    /// platform's own confinement (Seatbelt process-exec rules, AppContainer ACLs) applies.
    /// </summary>
    /// <exception cref="InvalidSandboxRequestException">The executable is missing or outside every root.</exception>
    public static void RequireExecutableInsideRoots(string executable, IEnumerable<string> roots, Func<string, string?> realPath, StringComparison comparison)
    {
        var real = realPath(executable)
            ?? throw new InvalidSandboxRequestException($"executable '{executable}' does not exist");
        var inside = roots.Select(realPath).Any(r => r is not null && IsInside(real, r, comparison));
        if (!inside)
        {
            throw new InvalidSandboxRequestException($"executable '{executable}' (resolves to '{real}') is not inside a read-only or read-write root");
        }
    }

    /// <summary>
    /// A requested working directory must exist and, symlinks resolved, lie inside a root: the launcher changes
    /// into it before confinement applies, so a directory outside the roots would be a foothold outside them.
    /// </summary>
    /// <exception cref="InvalidSandboxRequestException">The directory is missing or outside every root.</exception>
    public static void RequireWorkingDirectoryInsideRoots(string? workingDirectory, IEnumerable<string> roots, Func<string, string?> realPath, StringComparison comparison)
    {
        if (workingDirectory is null)
        {
            return; // the run's scratch directory
        }

        var real = realPath(workingDirectory);
        if (real is null || !Directory.Exists(real))
        {
            throw new InvalidSandboxRequestException($"working directory '{workingDirectory}' does not exist");
        }

        if (!roots.Select(realPath).Any(r => r is not null && IsInside(real, r, comparison)))
        {
            throw new InvalidSandboxRequestException($"working directory '{workingDirectory}' (resolves to '{real}') is not inside a read-only or read-write root");
        }
    }

    public static bool IsInside(string path, string root, StringComparison comparison)
    {
        var sep = Path.DirectorySeparatorChar;
        var trimmed = root.Length > 1 ? root.TrimEnd(sep) : root;
        return string.Equals(path, trimmed, comparison)
            || trimmed == sep.ToString()
            || path.StartsWith(trimmed + sep, comparison);
    }
}
