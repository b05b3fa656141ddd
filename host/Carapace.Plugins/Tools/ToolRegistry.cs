using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Carapace.Abstractions.Tools;
using Carapace.Plugins.Activation;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Services;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Tools;

/// <summary>
/// Tool name → plugin slot. Invocation validates the arguments against the tool's schema, runs the
/// tool on the slot's current generation under a lease (so a reload never drops a call), applies
/// the per-call timeout, and turns every outcome into a <see cref="ToolInvocationResult"/>.
/// </summary>
internal sealed class ToolRegistry(PluginRuntimeOptions options, ILogger<ToolRegistry> logger, IPluginLifecycleObserver observer,
    Hosting.PluginMetrics? metrics = null)
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();
    private readonly ConcurrentDictionary<string, PluginSlot> _tools = new(StringComparer.Ordinal);
    private readonly object _registration = new();

    /// <summary>Called with a slot whose consecutive failures reached <see cref="PluginRuntimeOptions.FaultAfter"/>.</summary>
    public Action<PluginSlot>? FaultHandler { get; set; }

    public IReadOnlyList<ToolInfo> List()
    {
        var list = new List<ToolInfo>();
        foreach (var (name, slot) in _tools)
        {
            if (slot.Current is { } generation && generation.Tools.TryGetValue(name, out var entry))
            {
                list.Add(entry.Info);
            }
        }

        return list.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
    }

    public ToolInfo? Get(string name) =>
        _tools.TryGetValue(name, out var slot) && slot.Current is { } generation && generation.Tools.TryGetValue(name, out var entry)
            ? entry.Info
            : null;

    /// <summary>Names already provided by another plugin, which would clash with <paramref name="names"/>.</summary>
    public string? FindConflict(PluginSlot slot, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            if (_tools.TryGetValue(name, out var owner) && !ReferenceEquals(owner, slot))
            {
                return $"tool '{name}' is already provided by plugin '{owner.Id}'";
            }
        }

        return null;
    }

    /// <summary>Makes exactly <paramref name="names"/> point at <paramref name="slot"/>.</summary>
    public void Register(PluginSlot slot, IReadOnlyCollection<string> names)
    {
        lock (_registration)
        {
            var conflict = FindConflict(slot, names);
            if (conflict is not null)
            {
                throw new InvalidOperationException(conflict);
            }

            foreach (var (name, owner) in _tools)
            {
                if (ReferenceEquals(owner, slot) && !names.Contains(name))
                {
                    _tools.TryRemove(name, out _);
                }
            }

            foreach (var name in names)
            {
                _tools[name] = slot;
            }
        }
    }

    public void Unregister(PluginSlot slot)
    {
        lock (_registration)
        {
            foreach (var (name, owner) in _tools)
            {
                if (ReferenceEquals(owner, slot))
                {
                    _tools.TryRemove(name, out _);
                }
            }
        }
    }

    public async Task<ToolInvocationResult> InvokeAsync(string name, JsonElement arguments, ToolInvocationOptions? invocation = null, CancellationToken cancellationToken = default)
    {
        var result = await InvokeUnmeteredAsync(name, arguments, invocation, cancellationToken);
        metrics?.ToolInvoked(result);
        return result;
    }

    private async Task<ToolInvocationResult> InvokeUnmeteredAsync(string name, JsonElement arguments, ToolInvocationOptions? invocation, CancellationToken cancellationToken)
    {
        invocation ??= new ToolInvocationOptions();
        var callId = Guid.NewGuid().ToString("n")[..12];
        var started = Stopwatch.GetTimestamp();
        if (!_tools.TryGetValue(name, out var slot))
        {
            return Result(ToolResultCodes.ToolNotFound, $"no tool named '{name}'", null);
        }

        if (!slot.TryAcquire(out var generation))
        {
            return Result(ToolResultCodes.ToolNotFound, $"tool '{name}' is unavailable: plugin '{slot.Id}' is {slot.State.ToWire()}", slot.Id);
        }

        var release = true;
        try
        {
            if (!generation.Tools.TryGetValue(name, out var entry))
            {
                return Result(ToolResultCodes.ToolNotFound, $"plugin '{slot.Id}' no longer provides tool '{name}'", slot.Id);
            }

            var args = arguments.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? EmptyObject : arguments;
            var errors = SchemaCompiler.Validate(entry.Schema, args);
            if (errors.Count > 0)
            {
                return Result(ToolResultCodes.InvalidArguments, "arguments do not match the tool's input schema", slot.Id, errors: errors);
            }

            var timeout = invocation.Timeout ?? options.ToolTimeout;
            var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, generation.Stopping);
            cts.CancelAfter(timeout);
            var call = new ToolCall(name, args.Clone(), callId, invocation.Origin);
            var task = Start(generation, entry.Tool, call, cts.Token, out var startError);
            if (task is null)
            {
                cts.Dispose();
                return Failed(slot, name, startError!, callId, started);
            }

            try
            {
                var result = await task.WaitAsync(cts.Token);
                if (result is null)
                {
                    return Failed(slot, name, "the tool returned no result", callId, started);
                }

                if (result.IsError && result.ErrorCode == ToolResultCodes.SandboxUnavailable)
                {
                    return SandboxRefused(slot, name, result.Error ?? "no reason given", callId, started);
                }

                if (result.IsError && result.ErrorCode is ToolResultCodes.InvalidRequest or ToolResultCodes.CapabilityDenied)
                {
                    return Declined(slot, name, result.ErrorCode, result.Error ?? "no reason given", callId, started);
                }

                if (result.IsError)
                {
                    return Failed(slot, name, result.Error ?? "the tool reported an error", callId, started);
                }

                slot.RecordCallSuccess();
                return Result(ToolResultCodes.Ok, null, slot.Id, result.Output.Clone());
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                if (!task.IsCompleted)
                {
                    // The tool has not finished: keep its lease (unload waits for it) and release
                    // it when the tool finally returns. The caller gets its answer now.
                    release = false;
                    generation.ExitWhenDone(task, cts);
                }

                if (cancellationToken.IsCancellationRequested)
                {
                    return Result(ToolResultCodes.Cancelled, "the call was cancelled by the caller", slot.Id);
                }

                if (generation.Stopping.IsCancellationRequested)
                {
                    return Failed(slot, name, $"plugin '{slot.Id}' is being unloaded", callId, started);
                }

                return TimedOut(slot, name, timeout, callId, started);
            }
            catch (Exception ex)
            {
                return Failed(slot, name, $"threw {PluginActivator.Describe(ex)}", callId, started);
            }
            finally
            {
                // Unless the abandoned call's continuation owns it now.
                if (release)
                {
                    cts.Dispose();
                }
            }
        }
        finally
        {
            if (release)
            {
                generation.Exit();
            }
        }

        ToolInvocationResult Result(string code, string? error, string? pluginId, JsonElement? output = null, IReadOnlyList<SchemaError>? errors = null) =>
            new(code, name, pluginId, output, error, errors ?? [], Stopwatch.GetElapsedTime(started).TotalMilliseconds, callId);
    }

    /// <summary>
    /// Starts the call synchronously inside the plugin's contextual-reflection scope (rule 9).
    /// Not async: the scope is restored before the host's frame continues.
    /// </summary>
    private static Task<ToolResult>? Start(PluginGeneration generation, ITool tool, ToolCall call, CancellationToken token, out string? error)
    {
        try
        {
            using (generation.EnterReflection())
            {
                error = null;
                return tool.InvokeAsync(call, token) ?? Task.FromResult<ToolResult>(null!);
            }
        }
        catch (Exception ex)
        {
            error = $"threw {PluginActivator.Describe(ex)}";
            return null;
        }
    }

    private ToolInvocationResult Failed(PluginSlot slot, string name, string error, string callId, long started)
    {
        var message = $"tool '{name}' of plugin '{slot.Id}' failed: {error}";
        logger.LogWarning("tool call {CallId} failed: {Error}", callId, message);
        Record(slot, message, PluginLifecycleEventKind.ToolFailed, name);
        return new ToolInvocationResult(ToolResultCodes.ToolFailed, name, slot.Id, null, message, [], Stopwatch.GetElapsedTime(started).TotalMilliseconds, callId);
    }

    /// <summary>
    /// The host's sandbox refused the tool's command (fail closed). Not the plugin's fault, so it does not
    /// count toward faulting it: a machine without Landlock would otherwise fault every sandboxed tool.
    /// </summary>
    private ToolInvocationResult SandboxRefused(PluginSlot slot, string name, string reason, string callId, long started)
    {
        var message = $"the sandbox refused to run the command of tool '{name}': {reason}";
        logger.LogWarning("tool call {CallId} of plugin {PluginId} refused by the sandbox: {Reason}", callId, slot.Id, reason);
        return new ToolInvocationResult(ToolResultCodes.SandboxUnavailable, name, slot.Id, null, message, [], Stopwatch.GetElapsedTime(started).TotalMilliseconds, callId);
    }

    /// <summary>
    /// The tool declined the call as the caller's mistake or for want of an operator grant: reported with
    /// the tool's code and, like a sandbox refusal, not counted toward faulting the plugin (a caller sending
    /// bad requests must not be able to deactivate it).
    /// </summary>
    private ToolInvocationResult Declined(PluginSlot slot, string name, string code, string reason, string callId, long started)
    {
        var message = $"tool '{name}' declined the call: {reason}";
        logger.LogInformation("tool call {CallId} of plugin {PluginId} declined ({Code}): {Reason}", callId, slot.Id, code, reason);
        return new ToolInvocationResult(code, name, slot.Id, null, message, [], Stopwatch.GetElapsedTime(started).TotalMilliseconds, callId);
    }

    private ToolInvocationResult TimedOut(PluginSlot slot, string name, TimeSpan timeout, string callId, long started)
    {
        var message = $"tool '{name}' of plugin '{slot.Id}' did not finish within {timeout.TotalSeconds:0.###} s and was cancelled";
        logger.LogWarning("tool call {CallId} timed out: {Error}", callId, message);
        Record(slot, message, PluginLifecycleEventKind.ToolTimeout, name);
        return new ToolInvocationResult(ToolResultCodes.ToolTimeout, name, slot.Id, null, message, [], Stopwatch.GetElapsedTime(started).TotalMilliseconds, callId);
    }

    private void Record(PluginSlot slot, string message, PluginLifecycleEventKind kind, string tool)
    {
        var failures = slot.RecordCallFailure(message);
        observer.OnEvent(new PluginLifecycleEvent(slot.Id, kind, message) { Data = new Dictionary<string, string> { ["tool"] = tool } });
        if (options.FaultAfter > 0 && failures == options.FaultAfter)
        {
            FaultHandler?.Invoke(slot);
        }
    }
}
