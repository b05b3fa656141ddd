using System.Text.Json;
using System.Text.Json.Nodes;

namespace Carapace.Abstractions.Tools;

/// <summary>
/// The outcome of a tool call: a JSON payload on success, or an error message the caller may see.
/// Payloads are plain JSON so that no plugin type ever crosses into host serializers.
/// </summary>
/// <remarks>
/// There is deliberately no <c>From&lt;T&gt;(T value)</c>: serialising a plugin-defined type through a
/// shared <see cref="JsonSerializerOptions"/> caches its metadata in default-context code and keeps
/// the plugin's load context alive after unload. Build payloads with <see cref="JsonNode"/> instead.
/// </remarks>
public sealed record ToolResult
{
    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    private ToolResult(JsonElement output, bool isError, string? error, string? errorCode = null)
    {
        Output = output;
        IsError = isError;
        Error = error;
        ErrorCode = errorCode;
    }

    public JsonElement Output { get; }
    public bool IsError { get; }
    public string? Error { get; }

    /// <summary>
    /// A stable code (<see cref="ToolErrorCodes"/>) when the failure is a host refusal the tool passes on,
    /// e.g. the sandbox could not run its command; null for the tool's own failures. ABI 1.1.
    /// </summary>
    public string? ErrorCode { get; }

    public static ToolResult Json(JsonElement output) => new(output.Clone(), false, null);

    public static ToolResult Json(JsonNode? output) =>
        new(output is null ? Null : JsonDocument.Parse(output.ToJsonString()).RootElement.Clone(), false, null);

    public static ToolResult Text(string text) => Json(new JsonObject { ["text"] = text });

    public static ToolResult Failure(string message) => new(Null, true, message);

    /// <summary>A failure with a stable <paramref name="errorCode"/> from <see cref="ToolErrorCodes"/> (ABI 1.1).</summary>
    public static ToolResult Failure(string message, string errorCode) => new(Null, true, message, errorCode);
}
