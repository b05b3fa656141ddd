using Microsoft.Extensions.Options;

namespace Carapace.Sandbox.Configuration;

/// <summary>Validates <c>sandbox.*</c> at start; every message names the offending key.</summary>
internal sealed class SandboxOptionsValidator : IValidateOptions<SandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, SandboxOptions options)
    {
        var errors = new List<string>();
        foreach (var (profileName, p) in options.Profiles)
        {
            var key = $"sandbox:profiles:{profileName}";
            if (!SandboxProfiles.IsValidName(profileName))
            {
                errors.Add($"{key}: profile names are lowercase letters, digits, '-' or '_'");
            }

            if (p.Network is not ("none" or "ports"))
            {
                errors.Add($"{key}:network: '{p.Network}' is not 'none' or 'ports'");
            }

            if (p.Network == "none" && p.ConnectPorts.Count > 0)
            {
                errors.Add($"{key}:connectPorts: only allowed with network 'ports'");
            }

            errors.AddRange(p.ConnectPorts.Where(port => port is < 1 or > 65535).Select(port => $"{key}:connectPorts: {port} is not a TCP port"));
            errors.AddRange(p.ReadOnlyRoots.Concat(p.ReadWriteRoots).Where(r => !Path.IsPathFullyQualified(r))
                .Select(r => $"{key}: root '{r}' is not an absolute path"));
            Positive(errors, $"{key}:cpuSeconds", p.CpuSeconds);
            Positive(errors, $"{key}:addressSpaceMb", p.AddressSpaceMb);
            Positive(errors, $"{key}:openFiles", p.OpenFiles);
            Positive(errors, $"{key}:processes", p.Processes);
            Positive(errors, $"{key}:fileSizeMb", p.FileSizeMb);
            // NaN compares false with everything, so it is named explicitly (it would otherwise reach TimeSpan and throw).
            if (double.IsNaN(p.TimeoutSeconds) || p.TimeoutSeconds is <= 0 or > MaxTimeoutSeconds)
            {
                errors.Add($"{key}:timeoutSeconds: {p.TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not in (0, {MaxTimeoutSeconds}] seconds");
            }

            OutputCap(errors, $"{key}:stdoutMaxBytes", p.StdoutMaxBytes);
            OutputCap(errors, $"{key}:stderrMaxBytes", p.StderrMaxBytes);
        }

        if (options.LauncherPath is { } lp && !Path.IsPathFullyQualified(lp))
        {
            errors.Add("sandbox:launcherPath: must be an absolute path");
        }

        if (options.ScratchRoot is { } sr && !Path.IsPathFullyQualified(sr))
        {
            errors.Add("sandbox:scratchRoot: must be an absolute path");
        }

        if (options.RunUidBase < 1000 || options.RunUidCount == 0 || (ulong)options.RunUidBase + options.RunUidCount >= uint.MaxValue)
        {
            errors.Add("sandbox:runUidBase/runUidCount: the range must start at 1000 or above and stay below 2^32-1");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>Largest accepted stdout/stderr cap: the kept bytes are buffered in memory per run and stream.</summary>
    public const int MaxOutputCapBytes = 64 * 1024 * 1024;

    /// <summary>Largest accepted wall-clock timeout (one day).</summary>
    public const double MaxTimeoutSeconds = 86400;

    private static void OutputCap(List<string> errors, string key, int value)
    {
        if (value is < 1 or > MaxOutputCapBytes)
        {
            errors.Add($"{key}: {value} is not in [1, {MaxOutputCapBytes}] bytes (64 MiB)");
        }
    }

    private static void Positive(List<string> errors, string key, long? value)
    {
        if (value is <= 0)
        {
            errors.Add($"{key}: must be positive");
        }
    }
}
