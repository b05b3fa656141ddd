using System.Text.RegularExpressions;
using Carapace.Abstractions.Sandbox;
using Microsoft.Extensions.Options;

namespace Carapace.Sandbox.Configuration;

/// <summary>Resolves profile names to policies and turns a plugin's <see cref="SandboxCommand"/> into a <see cref="SandboxRequest"/>.</summary>
public sealed partial class SandboxProfiles
{
    public const string DefaultProfileName = "default";

    /// <summary>System directories granted read-only by <see cref="SandboxProfileOptions.IncludeSystemRoots"/> on this OS (those present).</summary>
    public static IReadOnlyList<string> SystemRoots { get; } = SystemRootsFor(Backends.SandboxPlatform.DetectOs());

    /// <summary>
    /// Linux: /usr /lib /lib64 /bin /sbin /etc. macOS: what dyld and the base system need (<see cref="MacOS.SeatbeltProfile.SystemRoots"/>).
    /// Windows: %SystemRoot%, which AppContainers may already read through ALL APPLICATION PACKAGES.
    /// </summary>
    public static IReadOnlyList<string> SystemRootsFor(Backends.SandboxOs os) => os switch
    {
        Backends.SandboxOs.MacOS => MacOS.SeatbeltProfile.SystemRoots,
        Backends.SandboxOs.Windows => [Environment.GetFolderPath(Environment.SpecialFolder.Windows)],
        _ => ["/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc"],
    };

    private readonly IOptionsMonitor<SandboxOptions> _options;

    public SandboxProfiles(IOptionsMonitor<SandboxOptions> options) => _options = options;

    /// <summary>The built-in <c>default</c>: system dirs read-only, private scratch read-write, no network,
    /// 10 s CPU, 64 processes, 256 files, 64 MiB files, 10 s wall clock. No /proc, no shared /tmp, no $HOME.</summary>
    public static SandboxProfileOptions BuiltInDefault() => BuiltInDefaultFor(Backends.SandboxPlatform.DetectOs());

    /// <summary>
    /// On Windows the built-in default asks only for what a Job Object enforces (no open-files or file-size
    /// limit): the backend refuses any request that sets them rather than dropping them silently.
    /// </summary>
    public static SandboxProfileOptions BuiltInDefaultFor(Backends.SandboxOs os) =>
        os == Backends.SandboxOs.Windows ? new SandboxProfileOptions { OpenFiles = null, FileSizeMb = null } : new SandboxProfileOptions();

    public static bool IsValidName(string name) => NameRegex().IsMatch(name);

    public bool TryGet(string name, out SandboxProfileOptions profile)
    {
        var profiles = _options.CurrentValue.Profiles;
        foreach (var (key, value) in profiles)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                profile = value;
                return true;
            }
        }

        if (string.Equals(name, DefaultProfileName, StringComparison.Ordinal))
        {
            profile = BuiltInDefault();
            return true;
        }

        profile = null!;
        return false;
    }

    public IReadOnlyCollection<string> Names =>
        _options.CurrentValue.Profiles.Keys.Append(DefaultProfileName).Distinct(StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Builds the request a profile allows for a command. The command cannot widen the profile.</summary>
    public static SandboxRequest ToRequest(string profileName, SandboxProfileOptions p, SandboxCommand command, string? caller)
    {
        var ro = new List<string>();
        if (p.IncludeSystemRoots)
        {
            ro.AddRange(SystemRoots.Where(Path.Exists));
        }

        ro.AddRange(p.ReadOnlyRoots);
        var profileTimeout = TimeSpan.FromSeconds(p.TimeoutSeconds);
        var timeout = command.Timeout is { } t && t > TimeSpan.Zero && t < profileTimeout ? t : profileTimeout;
        return new SandboxRequest
        {
            Executable = command.Executable,
            Arguments = command.Arguments,
            Environment = command.Environment,
            EnvironmentAllowlist = new HashSet<string>(p.EnvAllowlist, StringComparer.Ordinal),
            InheritEnvironment = p.InheritEnv,
            WorkingDirectory = command.WorkingDirectory,
            ReadOnlyRoots = ro,
            ReadWriteRoots = [.. p.ReadWriteRoots],
            Network = p.Network == "ports" ? SandboxNetwork.TcpConnect([.. p.ConnectPorts]) : SandboxNetwork.None,
            Limits = new SandboxLimits
            {
                CpuSeconds = p.CpuSeconds,
                AddressSpaceBytes = p.AddressSpaceMb * 1024 * 1024,
                OpenFiles = p.OpenFiles,
                Processes = p.Processes,
                FileSizeBytes = p.FileSizeMb * 1024 * 1024,
            },
            Timeout = timeout,
            StdoutCapBytes = p.StdoutMaxBytes,
            StderrCapBytes = p.StderrMaxBytes,
            Stdin = command.Stdin,
            Caller = caller,
            Profile = profileName,
        };
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex NameRegex();
}
