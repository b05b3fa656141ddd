using System.Globalization;
using Carapace.Abstractions;
using Carapace.Abstractions.Credentials;
using Carapace.Host.Audit;

namespace Carapace.Host.Credentials;

/// <summary>
/// A plugin's view of the credential store: only <c>plugin:&lt;id&gt;:&lt;name&gt;</c> keys, only with the
/// <c>credentials</c> grant, within the quotas of <see cref="PluginCredentialLimiter"/>. Every denial
/// is audited as <c>capability_denied</c> (names only, never values).
/// </summary>
internal sealed class PluginCredentials : IPluginCredentials
{
    public const string Capability = "credentials";

    private readonly string _pluginId;
    private readonly string _scope;
    private readonly bool _granted;
    private readonly ICredentialStore _store;
    private readonly PluginCredentialLimiter _limiter;
    private readonly IAuditLog _audit;

    public PluginCredentials(string pluginId, bool granted, ICredentialStore store, PluginCredentialLimiter limiter, IAuditLog audit)
    {
        ArgumentException.ThrowIfNullOrEmpty(pluginId);
        _pluginId = pluginId;
        _scope = ScopeFor(pluginId);
        _granted = granted;
        _store = store;
        _limiter = limiter;
        _audit = audit;
    }

    /// <summary>The key scope of a plugin id: "..", "/" and "\" become "_" (as upstream), then the key charset applies.</summary>
    public static string ScopeFor(string pluginId) =>
        pluginId.Replace("..", "_", StringComparison.Ordinal).Replace('/', '_').Replace('\\', '_');

    public async Task<string?> GetAsync(string name, CancellationToken cancellationToken)
    {
        var key = KeyFor(name, "read");
        return await _store.GetAsync(key, cancellationToken);
    }

    public async Task SetAsync(string name, string value, CancellationToken cancellationToken)
    {
        var key = KeyFor(name, "write");
        var gate = _limiter.WriteGate(_scope);
        await gate.WaitAsync(cancellationToken);
        try
        {
            var existing = (await _store.ListAsync(cancellationToken))
                .Where(m => m.OwnerPlugin == _scope)
                .ToList();
            if (existing.Count >= PluginCredentialLimiter.MaxEntries && !existing.Any(m => m.Key == key.ToString()))
            {
                throw Deny(CredentialErrorCodes.QuotaExceeded, "write", key,
                    $"plugin '{_pluginId}' already stores {existing.Count} credentials (limit {PluginCredentialLimiter.MaxEntries})",
                    "delete credentials the plugin no longer needs");
            }

            RecordWrite("write", key);
            await _store.SetAsync(key, value, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken)
    {
        var key = KeyFor(name, "delete");
        var gate = _limiter.WriteGate(_scope);
        await gate.WaitAsync(cancellationToken);
        try
        {
            RecordWrite("delete", key);
            return await _store.DeleteAsync(key, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private CredentialKey KeyFor(string name, string operation)
    {
        if (!_granted)
        {
            AuditDenied(operation, null, "not granted");
            throw new CapabilityDeniedException(_pluginId, Capability, "the plugin was not granted the 'credentials' capability");
        }

        if (string.IsNullOrEmpty(name) || !CredentialKey.IsSegment(name) ||
            !CredentialKey.TryParse($"{CredentialKey.PluginKind}:{_scope}:{name}", out var key, out var error))
        {
            AuditDenied(operation, null, "invalid credential name");
            throw new CredentialException(CredentialErrorCodes.InvalidKey,
                $"invalid credential name for plugin '{_pluginId}': use one segment of letters, digits, '.', '_' or '-' " +
                $"(the full key plugin:{_scope}:<name> must fit in {CredentialKey.MaxLength} characters)");
        }

        _ = error;
        return key;
    }

    private void RecordWrite(string operation, CredentialKey key)
    {
        if (!_limiter.TryRecordWrite(_scope, out var retryAfter))
        {
            throw Deny(CredentialErrorCodes.RateLimited, operation, key,
                $"plugin '{_pluginId}' exceeded {PluginCredentialLimiter.MaxWritesPerWindow} credential writes per minute",
                $"retry in {Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture)} s");
        }
    }

    private CredentialException Deny(string code, string operation, CredentialKey key, string message, string hint)
    {
        AuditDenied(operation, key.ToString(), code);
        return new CredentialException(code, message, hint);
    }

    private void AuditDenied(string operation, string? key, string reason) =>
        _audit.Write(AuditEvents.CapabilityDenied, new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["plugin_id"] = _pluginId,
            ["capability"] = Capability,
            ["operation"] = operation,
            ["key"] = key,
            ["reason"] = reason,
        });
}

/// <summary>Creates the per-plugin view; the plugin runtime calls it with the plugin's grant.</summary>
internal sealed class PluginCredentialsFactory(ICredentialStore store, PluginCredentialLimiter limiter, IAuditLog audit, TimeProvider? time = null)
{
    public IPluginCredentials Create(string pluginId, bool credentialsGranted) =>
        // Denials per plugin, operation and reason: the first per minute in full, the rest counted (ThrottledDenialAudit).
        new PluginCredentials(pluginId, credentialsGranted, store, limiter,
            new ThrottledDenialAudit(audit, time ?? TimeProvider.System, static d => $"{d.GetValueOrDefault("operation")}:{ThrottledDenialAudit.Reason(d)}"));
}
