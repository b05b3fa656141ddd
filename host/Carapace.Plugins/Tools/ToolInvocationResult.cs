using System.Text.Json;

namespace Carapace.Plugins.Tools;

/// <summary>Stable result codes of a tool invocation (they become problem <c>code</c>s in the control API).</summary>
internal static class ToolResultCodes
{
    public const string Ok = "ok";

    /// <summary>The tool threw, or returned <c>ToolResult.Failure</c>.</summary>
    public const string ToolFailed = "tool_failed";

    /// <summary>The per-call timeout fired.</summary>
    public const string ToolTimeout = "tool_timeout";

    /// <summary>No such tool, or its plugin is not active.</summary>
    public const string ToolNotFound = "tool_not_found";

    /// <summary>The arguments do not satisfy the tool's input schema (see <see cref="ToolInvocationResult.ArgumentErrors"/>).</summary>
    public const string InvalidArguments = "invalid_arguments";

    /// <summary>The caller cancelled.</summary>
    public const string Cancelled = "tool_cancelled";

    /// <summary>The tool's command was refused by the sandbox (the tool returned <c>ToolErrorCodes.SandboxUnavailable</c>); nothing ran.</summary>
    public const string SandboxUnavailable = Abstractions.Tools.ToolErrorCodes.SandboxUnavailable;

    /// <summary>The tool refused the request as the caller's mistake (<c>ToolErrorCodes.InvalidRequest</c>); nothing ran.</summary>
    public const string InvalidRequest = Abstractions.Tools.ToolErrorCodes.InvalidRequest;

    /// <summary>The tool was refused something the operator did not grant (<c>ToolErrorCodes.CapabilityDenied</c>); nothing ran.</summary>
    public const string CapabilityDenied = Abstractions.Tools.ToolErrorCodes.CapabilityDenied;
}

/// <summary>How a call is made: who asks, and an optional timeout overriding the runtime's default.</summary>
internal sealed record ToolInvocationOptions(string Origin = "control", TimeSpan? Timeout = null);

/// <summary>
/// Outcome of a tool call. Only JSON, strings and numbers: no exception or plugin object ever leaves the registry.
/// </summary>
/// <param name="Code">One of <see cref="ToolResultCodes"/>.</param>
/// <param name="ToolName">The tool asked for.</param>
/// <param name="PluginId">The plugin that provides it, when known.</param>
/// <param name="Output">The tool's JSON output on success.</param>
/// <param name="Error">What went wrong, for the caller (no stack trace).</param>
/// <param name="ArgumentErrors">Schema errors for <see cref="ToolResultCodes.InvalidArguments"/>.</param>
/// <param name="Milliseconds">Wall time of the call.</param>
/// <param name="CallId">Host-assigned id, also given to the tool and written to the log.</param>
internal sealed record ToolInvocationResult(
    string Code,
    string ToolName,
    string? PluginId,
    JsonElement? Output,
    string? Error,
    IReadOnlyList<SchemaError> ArgumentErrors,
    double Milliseconds,
    string CallId)
{
    public bool Succeeded => Code == ToolResultCodes.Ok;
}
