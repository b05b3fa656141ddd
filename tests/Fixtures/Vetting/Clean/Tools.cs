// A plugin-shaped assembly that does ordinary things only; vetting must report nothing.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Carapace.Abstractions.Http;
using Carapace.Abstractions.Tools;

namespace Carapace.Fixtures.Vetting.Clean;

public sealed partial class WordCountTool : ITool
{
    private readonly IPluginHttp _http;

    public WordCountTool(IPluginHttp http) => _http = http;

    public ToolDefinition Definition { get; } = ToolDefinition.Create(
        "word_count", "Counts words", """{"type":"object","properties":{"text":{"type":"string"}}}""");

    public async Task<ToolResult> InvokeAsync(ToolCall call, CancellationToken cancellationToken)
    {
        var text = call.GetString("text") ?? string.Empty;
        var words = Words().Matches(text).Select(m => m.Value.ToLowerInvariant())
            .GroupBy(w => w, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        await Task.Yield();
        var response = await _http.SendAsync(new PluginHttpRequest("GET", "https://example.org/"), cancellationToken);
        var cache = Path.Combine(Path.GetTempPath(), "word-count.json");
        await File.WriteAllTextAsync(cache, JsonSerializer.Serialize(words), cancellationToken);
        return ToolResult.Json(new JsonObject { ["count"] = words.Count, ["status"] = response.ToString() });
    }

    [GeneratedRegex(@"\w+")]
    private static partial Regex Words();
}
