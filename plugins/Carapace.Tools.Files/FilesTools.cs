using System.Text;
using System.Text.Json.Nodes;
using Carapace.Abstractions.Hosting;
using Carapace.Abstractions.Tools;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Carapace.Tools.Files;

/// <summary>Configuration shared by the three tools: the roots and the read cap.</summary>
internal sealed class FilesOptions(IPluginContext context)
{
    public SafePaths Paths { get; } = new(context.Configuration.GetSection("roots").GetChildren().Select(c => c.Value).OfType<string>());

    public int MaxReadBytes { get; } = int.TryParse(context.Configuration["maxReadBytes"], out var max) && max > 0 ? max : 1024 * 1024;
}

/// <summary><c>files_read</c>: a UTF-8 text file inside the roots, up to a size cap.</summary>
internal sealed class FilesReadTool(FilesOptions options) : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create(
        "files_read",
        "Read a text file inside the configured roots.",
        """{"type":"object","properties":{"path":{"type":"string","minLength":1}},"required":["path"],"additionalProperties":false}""");

    public async Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        string full;
        try
        {
            (_, full) = options.Paths.Resolve(call.GetString("path"));
        }
        catch (UnauthorizedAccessException ex)
        {
            return Refusal.Of(ex);
        }

        var info = new FileInfo(full);
        if (!info.Exists)
        {
            return Refusal.Invalid("no such file");
        }

        if (!SafeOpen.IsOpenable(info))
        {
            return Refusal.Invalid($"'{call.GetString("path")}' {SafeOpen.NotRegular}");
        }

        await using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
        var length = stream.Length;
        var toRead = (int)Math.Min(length, options.MaxReadBytes);
        var buffer = new byte[toRead];
        await stream.ReadExactlyAsync(buffer, cancellationToken);
        return ToolResult.Json(new JsonObject
        {
            ["path"] = full,
            ["size"] = length,
            ["truncated"] = length > toRead,
            ["text"] = Encoding.UTF8.GetString(buffer),
        });
    }
}

/// <summary><c>files_list</c>: the entries of a directory inside the roots (or the roots themselves).</summary>
internal sealed class FilesListTool(FilesOptions options) : ITool
{
    private const int MaxEntries = 1000;

    public ToolDefinition Definition { get; } = ToolDefinition.Create(
        "files_list",
        "List a directory inside the configured roots; without a path, list the roots.",
        """{"type":"object","properties":{"path":{"type":"string"}},"additionalProperties":false}""");

    public Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        var requested = call.GetString("path");
        if (string.IsNullOrEmpty(requested))
        {
            var roots = new JsonArray(options.Paths.Roots.Select(r => (JsonNode)JsonValue.Create(r)).ToArray());
            return Task.FromResult(ToolResult.Json(new JsonObject { ["roots"] = roots }));
        }

        string full;
        try
        {
            (_, full) = options.Paths.Resolve(requested);
        }
        catch (UnauthorizedAccessException ex)
        {
            return Task.FromResult(Refusal.Of(ex));
        }

        if (!Directory.Exists(full))
        {
            return Task.FromResult(Refusal.Invalid("no such directory"));
        }

        var entries = new JsonArray();
        foreach (var info in new DirectoryInfo(full).EnumerateFileSystemInfos().OrderBy(i => i.Name, StringComparer.Ordinal).Take(MaxEntries))
        {
            var type = info.LinkTarget is not null ? "symlink" : info is DirectoryInfo ? "directory" : "file";
            var entry = new JsonObject { ["name"] = info.Name, ["type"] = type };
            if (info is FileInfo { LinkTarget: null } file)
            {
                entry["size"] = file.Length;
            }

            entries.Add(entry);
        }

        return Task.FromResult(ToolResult.Json(new JsonObject { ["path"] = full, ["entries"] = entries }));
    }
}

/// <summary>
/// <c>files_search</c>: files under a directory whose name matches a glob and, optionally, whose
/// text contains a string. Symbolic links are not followed while walking.
/// </summary>
internal sealed class FilesSearchTool(FilesOptions options) : ITool
{
    public ToolDefinition Definition { get; } = ToolDefinition.Create(
        "files_search",
        "Find files by name pattern (glob such as *.md) and optional text, inside the configured roots.",
        """
        {"type":"object","properties":{
          "pattern":{"type":"string","minLength":1},
          "path":{"type":"string"},
          "contains":{"type":"string","minLength":1},
          "maxResults":{"type":"integer","minimum":1,"maximum":1000}
        },"required":["pattern"],"additionalProperties":false}
        """);

    public async Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        string root;
        string start;
        try
        {
            (root, start) = options.Paths.Resolve(call.GetString("path"));
        }
        catch (UnauthorizedAccessException ex)
        {
            return Refusal.Of(ex);
        }

        if (!Directory.Exists(start))
        {
            return Refusal.Invalid("no such directory");
        }

        var pattern = call.GetString("pattern")!;
        if (pattern.Contains('/', StringComparison.Ordinal) || pattern.Contains('\\', StringComparison.Ordinal) || pattern.Contains("..", StringComparison.Ordinal))
        {
            return Refusal.Invalid("refused: pattern must be a file name glob, not a path");
        }

        var contains = call.GetString("contains");
        var max = (int)(call.GetInt64("maxResults") ?? 100);
        var enumeration = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            MatchType = MatchType.Simple,
        };
        var matches = new JsonArray();
        foreach (var file in Directory.EnumerateFiles(start, pattern, enumeration))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!SafePaths.IsWithin(file, root))
            {
                continue;
            }

            if (contains is not null && !await ContainsAsync(file, contains, options.MaxReadBytes, cancellationToken))
            {
                continue;
            }

            matches.Add(JsonValue.Create(Path.GetRelativePath(root, file)));
            if (matches.Count >= max)
            {
                break;
            }
        }

        return ToolResult.Json(new JsonObject { ["root"] = root, ["matches"] = matches });
    }

    private static async Task<bool> ContainsAsync(string file, string text, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            // Enumeration skips links, not FIFOs: one in the tree must not hang the search.
            var info = new FileInfo(file);
            if (!SafeOpen.IsOpenable(info) || info.Length > maxBytes)
            {
                return false;
            }

            var content = await File.ReadAllTextAsync(file, cancellationToken);
            return content.Contains(text, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }
}

/// <summary>Registers the shared options; the tools themselves are found by the host's scan.</summary>
public sealed class FilesStartup : IPluginStartup
{
    public void ConfigureServices(IServiceCollection services, IPluginContext context) => services.AddSingleton<FilesOptions>();
}
