using System.Text;
using System.Text.Json;
using Carapace.Abstractions.Webhooks;

namespace Carapace.Testing.PluginHarness;

/// <summary>Drives the good-channel fixture through its webhook receiver.</summary>
internal static class GoodChannel
{
    public static async Task SayAsync(RuntimeHarness harness, string sender, string conversation, string text)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["sender"] = sender, ["conversation"] = conversation, ["text"] = text });
        var result = await harness.Runtime.DispatchWebhookAsync("good-channel", Request("POST", "/say", body));
        Assert.True(result.Succeeded, result.Error);
    }

    public static async Task<IReadOnlyList<(string Conversation, string Text)>> SentAsync(RuntimeHarness harness)
    {
        var result = await harness.Runtime.DispatchWebhookAsync("good-channel", Request("GET", "/sent", []));
        Assert.True(result.Succeeded, result.Error);
        using var doc = JsonDocument.Parse(result.Response!.Body);
        return doc.RootElement.EnumerateArray().Select(e => (e.GetProperty("conversation").GetString()!, e.GetProperty("text").GetString()!)).ToList();
    }

    public static WebhookRequest Request(string method, string path, byte[] body, IReadOnlyDictionary<string, string>? headers = null) =>
        new(method, path, string.Empty, headers ?? new Dictionary<string, string>(), body, "127.0.0.1");

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
