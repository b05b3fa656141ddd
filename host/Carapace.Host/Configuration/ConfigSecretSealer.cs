using Carapace.Host.Secrets;

namespace Carapace.Host.Configuration;

/// <summary>
/// Seals one plaintext value of a <c>carapace.yaml</c> in place as an <c>enc:v2</c> envelope
/// (<c>cara config encrypt KEY</c>), changing only that scalar so comments and layout survive.
/// YamlDotNet's writer would drop comments, hence the targeted text edit, verified by re-parsing.
/// </summary>
internal static class ConfigSecretSealer
{
    public static SealOutcome Seal(string path, string dottedKey, string password)
    {
        var text = File.ReadAllText(path);
        var key = dottedKey.Replace('.', ':');
        var flat = YamlFlattener.Flatten(text, path);
        if (!flat.Values.TryGetValue(key, out var value) || value.Value is null)
        {
            throw new ConfigurationException(new ConfigError(dottedKey, "is not set in this file; add it first, then encrypt it", path));
        }

        if (ConfigSecretEnvelope.IsEnvelope(value.Value))
        {
            return SealOutcome.AlreadySealed;
        }

        if (ConfigSecretEnvelope.IsVersionedEnvelope(value.Value))
        {
            // An enc:v1/enc:v3 value would fail at load; calling it "sealed" would hide that.
            throw new ConfigurationException(new ConfigError(dottedKey,
                "holds an unsupported secret envelope: only enc:v2 is supported. Put the plaintext back, then run `cara config encrypt` again",
                path, value.Line, value.Column));
        }

        if (value.Value.Contains("${", StringComparison.Ordinal))
        {
            throw new ConfigurationException(new ConfigError(dottedKey,
                "refers to an environment variable; there is no plaintext to seal", path, value.Line, value.Column));
        }

        var lines = text.Split('\n');
        var line = lines[value.Line - 1];
        var start = value.Column - 1;
        var end = ScalarEnd(line, start) ?? throw new ConfigurationException(new ConfigError(dottedKey,
            "only single-line scalars can be sealed in place", path, value.Line, value.Column));

        lines[value.Line - 1] = line[..start] + "\"" + ConfigSecretEnvelope.Seal(value.Value, password) + "\"" + line[end..];
        var updated = string.Join('\n', lines);

        var check = YamlFlattener.Flatten(updated, path).Values.GetValueOrDefault(key)?.Value;
        if (check is null || ConfigSecretEnvelope.Open(check, password) != value.Value)
        {
            throw new InvalidOperationException($"sealing {dottedKey} did not round-trip; {path} was not changed");
        }

        Carapace.Storage.AtomicFile.WriteAllText(path, updated);
        return SealOutcome.Sealed;
    }

    // Where the scalar starting at `start` ends on this line, or null for block scalars.
    private static int? ScalarEnd(string line, int start)
    {
        var first = line[start];
        if (first is '|' or '>')
        {
            return null;
        }

        if (first is '"' or '\'')
        {
            for (var i = start + 1; i < line.Length; i++)
            {
                if (first == '"' && line[i] == '\\')
                {
                    i++;
                    continue;
                }

                if (line[i] == first)
                {
                    if (first == '\'' && i + 1 < line.Length && line[i + 1] == '\'')
                    {
                        i++;
                        continue;
                    }

                    return i + 1;
                }
            }

            return null;
        }

        var comment = line.IndexOf(" #", start, StringComparison.Ordinal);
        var end = comment < 0 ? line.TrimEnd('\r').Length : comment;
        return line[..end].TrimEnd().Length;
    }
}

internal enum SealOutcome
{
    Sealed,
    AlreadySealed,
}
