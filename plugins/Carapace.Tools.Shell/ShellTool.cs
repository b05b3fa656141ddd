using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Carapace.Abstractions;
using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Sandbox;
using Carapace.Abstractions.Tools;
using Microsoft.Extensions.Logging;

namespace Carapace.Tools.Shell;

/// <summary>
/// <c>shell</c>: one confined run through <see cref="IPluginContext.Sandbox"/> under the profile from
/// <c>plugins:shell:profile</c> (default <c>default</c>). Either <c>command</c> (an absolute path, no
/// <c>PATH</c> lookup) with <c>args</c>, or <c>script</c>, run as <c>/bin/sh -c script sh args...</c>.
/// A run that happened is a result, whatever its exit code (a timeout too: <c>timedOut</c>, exit 124);
/// a run the sandbox refused is a failure with <see cref="ToolErrorCodes.SandboxUnavailable"/> and the
/// reason; a profile not granted or a bad request is a failure with <see cref="ToolErrorCodes.CapabilityDenied"/>
/// or <see cref="ToolErrorCodes.InvalidRequest"/> (403 / 400 over HTTP; neither faults the plugin). Nothing is ever retried.
/// </summary>
internal sealed class ShellTool(IPluginContext context, ILogger<ShellTool> logger) : ITool
{
    public const string DefaultProfile = "default";
    public const string Shell = "/bin/sh";
    public const string CapabilityDenied = ToolErrorCodes.CapabilityDenied;
    public const string SandboxUnavailable = ToolErrorCodes.SandboxUnavailable;
    public const string InvalidRequest = ToolErrorCodes.InvalidRequest;

    private readonly string _profile = context.Configuration["profile"] is { Length: > 0 } p ? p : DefaultProfile;

    public ToolDefinition Definition { get; } = ToolDefinition.Create(
        "shell",
        "Run a command or a /bin/sh script in the sandbox (the operator's profile decides files, network and limits). Returns exit code, stdout, stderr, truncation flags, timeout and duration.",
        """
        {"type":"object","properties":{
          "command":{"type":"string","minLength":2,"maxLength":4096,"pattern":"^/","description":"Absolute path of the executable (no PATH lookup)."},
          "args":{"type":"array","maxItems":1024,"items":{"type":"string","maxLength":131072},"description":"Arguments; with script, they are $1, $2..."},
          "script":{"type":"string","minLength":1,"maxLength":131072,"description":"Run with /bin/sh -c."},
          "stdin":{"type":"string","maxLength":1048576,"description":"Written to the process's standard input (UTF-8), then closed."},
          "timeoutSeconds":{"type":"integer","minimum":1,"maximum":3600,"description":"Wall-clock limit; can only shorten the profile's."}
        },
        "oneOf":[{"required":["command"],"not":{"required":["script"]}},{"required":["script"],"not":{"required":["command"]}}],
        "additionalProperties":false}
        """);

    public async Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        var command = call.GetString("command");
        var script = call.GetString("script");
        if ((command is null) == (script is null))
        {
            return Fail(InvalidRequest, "give exactly one of 'command' and 'script'");
        }

        if (command is not null && !Path.IsPathFullyQualified(command))
        {
            return Fail(InvalidRequest, "'command' must be an absolute path (there is no PATH lookup)");
        }

        var args = ReadArgs(call.Arguments);
        var (executable, argv) = script is null
            ? (command!, args)
            : (Shell, (IReadOnlyList<string>)["-c", script, "sh", .. args]);
        var stdin = call.GetString("stdin");
        var sandboxCommand = new SandboxCommand(_profile, executable, argv)
        {
            Stdin = stdin is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(stdin),
            Timeout = call.GetInt64("timeoutSeconds") is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
        };

        SandboxResult result;
        try
        {
            result = await context.Sandbox.RunAsync(sandboxCommand, cancellationToken);
        }
        catch (CapabilityDeniedException ex)
        {
            return Fail(CapabilityDenied, ex.Reason);
        }
        catch (SandboxUnavailableException ex)
        {
            // Carried as the result's code, so the control API answers sandbox_unavailable (503) with the reason.
            logger.LogWarning("shell run refused (profile {Profile}): {Code}: {Reason}", _profile, SandboxUnavailable, ex.Reason);
            return ToolResult.Failure(ex.Reason, ToolErrorCodes.SandboxUnavailable);
        }
        catch (ArgumentException ex)
        {
            // The broker's InvalidSandboxRequestException (an ArgumentException, the only BCL type a
            // plugin can name): executable missing or outside the profile's roots. Nothing ran.
            return Fail(InvalidRequest, ex.Message);
        }

        return ToolResult.Json(new JsonObject
        {
            ["exitCode"] = result.ExitCode,
            ["stdout"] = result.StdoutText,
            ["stderr"] = result.StderrText,
            ["stdoutTruncated"] = result.StdoutTruncated,
            ["stderrTruncated"] = result.StderrTruncated,
            ["timedOut"] = result.TimedOut,
            ["durationMs"] = (long)Math.Round(result.Duration.TotalMilliseconds),
            ["profile"] = _profile,
        });
    }

    private static List<string> ReadArgs(JsonElement arguments) =>
        arguments.TryGetProperty("args", out var args) && args.ValueKind == JsonValueKind.Array
            ? args.EnumerateArray().Select(a => a.GetString() ?? string.Empty).ToList()
            : [];

    private ToolResult Fail(string code, string reason)
    {
        logger.LogWarning("shell run refused (profile {Profile}): {Code}: {Reason}", _profile, code, reason);
        // The code travels as ToolResult.ErrorCode (400 / 403 over HTTP, never counted as a plugin fault);
        // the message keeps the code prefix for callers that only read the text.
        return ToolResult.Failure($"{code}: {reason}", code);
    }
}
