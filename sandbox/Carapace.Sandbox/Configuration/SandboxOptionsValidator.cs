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
            if (p.TimeoutSeconds is <= 0 or > 86400)
            {
                errors.Add($"{key}:timeoutSeconds: must be in (0, 86400]");
            }

            if (p.StdoutMaxBytes < 0 || p.StderrMaxBytes < 0)
            {
                errors.Add($"{key}: stdoutMaxBytes/stderrMaxBytes must not be negative");
            }
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

    private static void Positive(List<string> errors, string key, long? value)
    {
        if (value is <= 0)
        {
            errors.Add($"{key}: must be positive");
        }
    }
}
