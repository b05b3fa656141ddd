using System.Text;
using System.Text.Json;
using Carapace.Host.Secrets;
using Carapace.Storage;
using Microsoft.Extensions.Logging;

namespace Carapace.Host.Credentials;

/// <summary>
/// Start-up check of the state directory (see docs/credentials.md):
/// <list type="bullet">
/// <item>Plaintext credential shapes outside <c>plugins/</c>: <c>credentials.json</c>, <c>creds.json</c>,
/// <c>oauth.json</c>, <c>secrets.json</c>, <c>auth*.json</c> and <c>*-pairing.json</c> holding a bare secret
/// (under a token/password/secret/apiKey-like name: a non-empty string that is not an <c>enc:v2</c>
/// envelope, a number, or an array of those; a file that cannot be parsed cannot be checked and counts too), and non-empty
/// <c>*.token</c> / <c>token</c> files. Each refuses start, naming the file and the fix.</item>
/// <item>Permissions: group/other bits on any directory (0700 expected) or file (0600 expected) are
/// removed and reported, or — with <c>credentials.tightenPermissions: false</c>, or when chmod fails —
/// refuse start. Symbolic links are neither followed nor changed; one named like a credential file
/// refuses start, since what it points to cannot be checked.</item>
/// </list>
/// </summary>
internal sealed class PlaintextCredentialScanner
{
    private const long MaxInspectBytes = 1024 * 1024;
    private const int MaxDepth = 12;

    private static readonly string[] JsonShapes = ["credentials.json", "creds.json", "oauth.json", "secrets.json"];

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly StateDirectory _state;
    private readonly CredentialOptions _options;
    private readonly ILogger _logger;

    public PlaintextCredentialScanner(StateDirectory state, CredentialOptions options, ILogger<PlaintextCredentialScanner> logger)
    {
        _state = state;
        _options = options;
        _logger = logger;
    }

    public CredentialSafetyReport Scan()
    {
        var findings = new List<StateFinding>();
        if (!Directory.Exists(_state.Root))
        {
            return new CredentialSafetyReport(findings);
        }

        CheckPermissions(_state.Root, isDirectory: true, findings);
        Walk(_state.Root, 0, insidePlugins: false, findings);
        foreach (var finding in findings)
        {
            if (finding.RefusesStart)
            {
                _logger.LogError("state directory check: {Path}: {Problem} Fix: {Fix}", finding.Path, finding.Problem, finding.Fix);
            }
            else
            {
                _logger.LogWarning("state directory check: {Path}: {Problem}", finding.Path, finding.Problem);
            }
        }

        return new CredentialSafetyReport(findings);
    }

    private void Walk(string directory, int depth, bool insidePlugins, List<StateFinding> findings)
    {
        if (depth > MaxDepth)
        {
            return;
        }

        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(directory).EnumerateFileSystemInfos().ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            findings.Add(new StateFinding(directory, StateFindingKind.Unreadable, $"cannot be listed ({ex.Message}).",
                "make the state directory readable by the Carapace user", RefusesStart: true));
            return;
        }

        foreach (var entry in entries)
        {
            if (entry.LinkTarget is not null)
            {
                // Links are never followed (the target may be anywhere), so one named like a credential
                // file cannot be checked: refuse it rather than let a plaintext secret hide behind it.
                if (!insidePlugins && IsCredentialShape(entry.Name.ToLowerInvariant(), out _))
                {
                    findings.Add(new StateFinding(entry.FullName, StateFindingKind.PlaintextCredential,
                        $"is a symbolic link (to {entry.LinkTarget}) named like a plaintext credential file; links are not followed, so it cannot be checked.",
                        "replace the link with the secret in the credential store (`cara credentials set <kind:scope:id>`), then delete the link",
                        RefusesStart: true));
                }

                continue;
            }

            var isDirectory = entry is DirectoryInfo;
            CheckPermissions(entry.FullName, isDirectory, findings);
            if (isDirectory)
            {
                var childInPlugins = insidePlugins || (depth == 0 && entry.Name == "plugins");
                Walk(entry.FullName, depth + 1, childInPlugins, findings);
            }
            else if (!insidePlugins)
            {
                CheckPlaintext((FileInfo)entry, findings);
            }
        }
    }

    private void CheckPermissions(string path, bool isDirectory, List<StateFinding> findings)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        if ((mode & GroupOrOther) == 0)
        {
            return;
        }

        var expected = isDirectory ? "0700" : "0600";
        var current = Octal(mode);
        if (!_options.TightenPermissions)
        {
            findings.Add(new StateFinding(path, StateFindingKind.InsecurePermissions,
                $"has mode {current}; Carapace state must not be accessible to group or others.",
                $"chmod {(isDirectory ? "700" : "600")} '{path}' (or set credentials.tightenPermissions: true)", RefusesStart: true));
            return;
        }

        try
        {
            // Only group/other bits are removed, so an owner-executable helper stays executable.
            File.SetUnixFileMode(path, mode & ~GroupOrOther);
            findings.Add(new StateFinding(path, StateFindingKind.PermissionsTightened,
                $"had mode {current}; tightened to {Octal(mode & ~GroupOrOther)} (expected {expected}).", "none needed", RefusesStart: false));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            findings.Add(new StateFinding(path, StateFindingKind.InsecurePermissions,
                $"has mode {current} and could not be tightened ({ex.Message}).",
                $"chown it to the Carapace user and chmod {(isDirectory ? "700" : "600")} '{path}'", RefusesStart: true));
        }
    }

    private static void CheckPlaintext(FileInfo file, List<StateFinding> findings)
    {
        if (!IsCredentialShape(file.Name.ToLowerInvariant(), out var isTokenShape))
        {
            return;
        }

        const string fix =
            "move the secret into the credential store (`cara credentials set <kind:scope:id>` with the value on stdin, " +
            "or an enc:v2 value via `cara config encrypt`), then delete this file";
        string? problem;
        try
        {
            if (file.Length > MaxInspectBytes)
            {
                problem = "looks like a plaintext credential file and is too large to check.";
            }
            else if (isTokenShape)
            {
                problem = File.ReadAllText(file.FullName).Trim().Length > 0 ? "holds a plaintext token." : null;
            }
            else
            {
                problem = InspectJson(File.ReadAllBytes(file.FullName));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problem = $"looks like a plaintext credential file and cannot be read to check it ({ex.Message}).";
        }

        if (problem is not null)
        {
            findings.Add(new StateFinding(file.FullName, StateFindingKind.PlaintextCredential, problem, fix, RefusesStart: true));
        }
    }

    private static bool IsCredentialShape(string lowerName, out bool isTokenShape)
    {
        isTokenShape = lowerName == "token" || lowerName.EndsWith(".token", StringComparison.Ordinal);
        return isTokenShape
               || JsonShapes.Contains(lowerName)
               || (lowerName.StartsWith("auth", StringComparison.Ordinal) && lowerName.EndsWith(".json", StringComparison.Ordinal))
               || lowerName.EndsWith("-pairing.json", StringComparison.Ordinal);
    }

    private static string? InspectJson(byte[] content)
    {
        try
        {
            using var document = JsonDocument.Parse(content);
            var secretName = FindBareSecret(document.RootElement, depth: 0);
            return secretName is null ? null : $"holds a plaintext secret under \"{secretName}\".";
        }
        catch (JsonException)
        {
            return "looks like a plaintext credential file and is not valid JSON, so it cannot be checked.";
        }
    }

    private static string? FindBareSecret(JsonElement element, int depth)
    {
        if (depth > 16)
        {
            return null;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (ConfigSecretRedaction.IsSecret(property.Name, null) && HoldsBareSecret(property.Value))
                    {
                        return property.Name;
                    }

                    if (FindBareSecret(property.Value, depth + 1) is { } nested)
                    {
                        return nested;
                    }
                }

                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (FindBareSecret(item, depth + 1) is { } nested)
                    {
                        return nested;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    // Under a secret-like name: a non-empty string that is not an enc:v2 envelope, a number (PINs,
    // numeric tokens), or an array holding any of those ({"tokens": ["a", "b"]}).
    private static bool HoldsBareSecret(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() is { Length: > 0 } text && !ConfigSecretEnvelope.IsEnvelope(text),
        JsonValueKind.Number => true,
        JsonValueKind.Array => value.EnumerateArray().Any(item => item.ValueKind is JsonValueKind.String or JsonValueKind.Number && HoldsBareSecret(item)),
        _ => false,
    };

    private static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8).PadLeft(3, '0');
}

internal enum StateFindingKind
{
    PlaintextCredential,
    InsecurePermissions,
    PermissionsTightened,
    Unreadable,
}

internal sealed record StateFinding(string Path, StateFindingKind Kind, string Problem, string Fix, bool RefusesStart);

internal sealed record CredentialSafetyReport(IReadOnlyList<StateFinding> Findings)
{
    public bool RefusesStart => Findings.Any(f => f.RefusesStart);

    /// <summary>One line per refusing finding: path, problem, fix.</summary>
    public string Describe()
    {
        var builder = new StringBuilder("Carapace refuses to start: the state directory is not safe.");
        foreach (var finding in Findings.Where(f => f.RefusesStart))
        {
            builder.Append('\n').Append("  ").Append(finding.Path).Append(": ").Append(finding.Problem)
                .Append(" Fix: ").Append(finding.Fix).Append('.');
        }

        return builder.ToString();
    }
}
