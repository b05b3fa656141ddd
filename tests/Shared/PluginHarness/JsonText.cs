using System.Text.Json;

namespace Carapace.Testing.PluginHarness;

internal static class JsonText
{
    public static JsonElement Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }
}
