using System.Buffers;
using System.Collections;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Carapace.Host.Configuration;

namespace Carapace.Host.Audit;

/// <summary>
/// One line of <c>audit.jsonl</c>: <c>{"ts":"…","event":"…","data":{…}}</c> and a newline, at most
/// <see cref="MaxBytes"/> bytes so that a single O_APPEND write stays atomic (upstream's cap). Strings
/// are cut at <see cref="MaxStringChars"/> characters and lists at <see cref="MaxListItems"/> items first,
/// then, if the escaped line is still too large, the largest strings are cut to a byte budget (identifying
/// fields such as <c>remote_ip</c> and <c>plugin_id</c> never are); an event too large even then becomes an
/// <c>audit_event_too_large</c> marker naming the original event, its size and its identifying fields. Values are rendered from simple types only (anything else by <c>ToString()</c>), so the
/// writer never holds a reference to a caller's object, and keys that name a secret are redacted.
/// </summary>
internal static class AuditLine
{
    public const int MaxBytes = 4096;
    public const int MaxStringChars = 1024;
    public const int MaxListItems = 32;
    private const string TruncatedSuffix = "…[truncated]";

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Control characters, quotes and backslashes are still escaped, so a value can never end a line.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    /// <summary>
    /// Fields that say who and what an event is about. Never shortened to make room, and carried into the
    /// <c>audit_event_too_large</c> marker, so an attacker cannot strip them by padding another field.
    /// </summary>
    private static readonly HashSet<string> IdentifyingKeys = new(["remote_ip", "peer_ip", "plugin_id", "scope"], StringComparer.Ordinal);

    public static byte[] Serialize(DateTimeOffset timestamp, string eventName, IReadOnlyDictionary<string, object?>? data)
    {
        var line = Write(timestamp, eventName, data, int.MaxValue);
        if (line.Length <= MaxBytes)
        {
            return line;
        }

        // Too large once escaped (a non-BMP character is 12 bytes as \uXXXX\uXXXX, so 1024 chars can be 6 KiB).
        // Cap every other string at a byte budget, lowered until the line fits: the largest fields are cut
        // first, small ones keep their full text. Line size only grows with the budget, so bisect it.
        var low = 0;
        var high = MaxBytes;
        var fitting = Write(timestamp, eventName, data, low);
        if (fitting.Length <= MaxBytes)
        {
            while (low < high)
            {
                var mid = low + ((high - low + 1) / 2);
                var candidate = Write(timestamp, eventName, data, mid);
                if (candidate.Length <= MaxBytes)
                {
                    (low, fitting) = (mid, candidate);
                }
                else
                {
                    high = mid - 1;
                }
            }

            return fitting;
        }

        var marker = new Dictionary<string, object?>
        {
            ["original_event"] = Truncate(eventName, 128),
            ["serialized_bytes"] = line.Length,
            ["cap_bytes"] = MaxBytes,
        };
        if (data is not null)
        {
            foreach (var key in IdentifyingKeys)
            {
                if (data.TryGetValue(key, out var value) && value is not null)
                {
                    marker[key] = value;
                }
            }
        }

        // Here identifying fields are budgeted too (256 bytes each), so the marker itself always fits.
        return Write(timestamp, AuditEvents.AuditEventTooLarge, marker, 256, exemptIdentifying: false);
    }

    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <param name="maxStringBytes">Escaped UTF-8 bytes any non-identifying string may take (int.MaxValue: no budget).</param>
    private static byte[] Write(DateTimeOffset timestamp, string eventName, IReadOnlyDictionary<string, object?>? data, int maxStringBytes,
        bool exemptIdentifying = true)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("ts", Timestamp(timestamp));
            writer.WriteString("event", Truncate(eventName, 128));
            writer.WriteStartObject("data");
            if (data is not null)
            {
                foreach (var (key, value) in data)
                {
                    if (value is null || string.IsNullOrEmpty(key))
                    {
                        continue;
                    }

                    writer.WritePropertyName(Truncate(key, 128));
                    if (Carapace.Host.Secrets.ConfigSecretRedaction.IsSecret(key, null))
                    {
                        writer.WriteStringValue(Carapace.Host.Secrets.ConfigSecretRedaction.Placeholder);
                    }
                    else
                    {
                        WriteValue(writer, value, depth: 0, exemptIdentifying && IdentifyingKeys.Contains(key) ? int.MaxValue : maxStringBytes);
                    }
                }
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value, int depth, int maxStringBytes)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(Budget(Truncate(s, MaxStringChars), maxStringBytes));
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case int or long or short or byte or sbyte or ushort or uint:
                writer.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case ulong u:
                writer.WriteNumberValue(u);
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumberValue(d);
                break;
            case float f when float.IsFinite(f):
                writer.WriteNumberValue(f);
                break;
            case decimal m:
                writer.WriteNumberValue(m);
                break;
            case DateTimeOffset dto:
                writer.WriteStringValue(Timestamp(dto));
                break;
            case DateTime dt:
                writer.WriteStringValue(Timestamp(new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt)));
                break;
            case JsonElement element:
                element.WriteTo(writer);
                break;
            case IEnumerable list when value is not IDictionary && depth == 0:
                writer.WriteStartArray();
                var count = 0;
                foreach (var item in list)
                {
                    if (count++ == MaxListItems)
                    {
                        writer.WriteStringValue(TruncatedSuffix);
                        break;
                    }

                    WriteValue(writer, item, depth + 1, maxStringBytes);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Budget(Truncate(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty, MaxStringChars), maxStringBytes));
                break;
        }
    }

    /// <summary>
    /// The longest prefix of <paramref name="text"/> (whole characters) that, with the truncation suffix, takes at
    /// most <paramref name="maxBytes"/> escaped bytes; the text itself when it fits.
    /// </summary>
    private static string Budget(string text, int maxBytes)
    {
        if (maxBytes == int.MaxValue || EscapedBytes(text) <= maxBytes)
        {
            return text;
        }

        var body = text.EndsWith(TruncatedSuffix, StringComparison.Ordinal) ? text[..^TruncatedSuffix.Length] : text;
        var room = maxBytes - EscapedBytes(TruncatedSuffix);
        var low = 0;
        var high = body.Length;
        while (low < high)
        {
            var mid = low + ((high - low + 1) / 2);
            if (EscapedBytes(body.AsSpan(0, CutPoint(body, mid))) <= room)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return string.Concat(body.AsSpan(0, CutPoint(body, low)), TruncatedSuffix);
    }

    // Do not cut a surrogate pair in half.
    private static int CutPoint(string text, int length) =>
        length > 0 && length < text.Length && char.IsHighSurrogate(text[length - 1]) ? length - 1 : length;

    private static int EscapedBytes(ReadOnlySpan<char> text) =>
        text.IsEmpty ? 0 : JsonEncodedText.Encode(text, WriterOptions.Encoder).EncodedUtf8Bytes.Length;

    private static string Truncate(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        // Do not cut a surrogate pair in half.
        var cut = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return string.Concat(text.AsSpan(0, cut), TruncatedSuffix);
    }
}
