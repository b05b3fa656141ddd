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
/// are cut at <see cref="MaxStringChars"/> characters and lists at <see cref="MaxListItems"/> items first;
/// an event still too large becomes an <c>audit_event_too_large</c> marker naming the original event and
/// its size. Values are rendered from simple types only (anything else by <c>ToString()</c>), so the
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

    public static byte[] Serialize(DateTimeOffset timestamp, string eventName, IReadOnlyDictionary<string, object?>? data)
    {
        var line = Write(timestamp, eventName, data);
        if (line.Length <= MaxBytes)
        {
            return line;
        }

        return Write(timestamp, AuditEvents.AuditEventTooLarge, new Dictionary<string, object?>
        {
            ["original_event"] = Truncate(eventName, 128),
            ["serialized_bytes"] = line.Length,
            ["cap_bytes"] = MaxBytes,
        });
    }

    public static string Timestamp(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static byte[] Write(DateTimeOffset timestamp, string eventName, IReadOnlyDictionary<string, object?>? data)
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
                        WriteValue(writer, value, depth: 0);
                    }
                }
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteValue(Utf8JsonWriter writer, object? value, int depth)
    {
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(Truncate(s, MaxStringChars));
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

                    WriteValue(writer, item, depth + 1);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Truncate(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty, MaxStringChars));
                break;
        }
    }

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
