using System.Net.Http.Headers;
using System.Text;

namespace Carapace.Tools.HttpFetch;

/// <summary>A response body as the tool returns it: text or base64, possibly cut at the size cap.</summary>
/// <param name="Form"><c>text</c> or <c>base64</c>.</param>
/// <param name="Charset">The character set the text was decoded with (text only).</param>
/// <param name="Content">The text, or the base64 of the (kept) bytes.</param>
/// <param name="Truncated">More bytes arrived than <c>maxBodyBytes</c>; only the first ones are returned.</param>
internal sealed record ResponseBody(string Form, string? Charset, string Content, bool Truncated)
{
    public const string Text = "text";
    public const string Base64 = "base64";

    /// <summary>
    /// Text for textual media types (<c>text/*</c>, JSON, XML, JavaScript, form data), decoded with the
    /// declared charset or UTF-8, a byte-order mark taking precedence. Everything else, a charset this
    /// runtime does not know, or bytes that are not valid in the charset are returned as base64, so
    /// nothing is ever mangled by a guess.
    /// </summary>
    public static ResponseBody From(ReadOnlyMemory<byte> body, string? contentType, int maxBytes)
    {
        var truncated = body.Length > maxBytes;
        var kept = truncated ? body[..maxBytes] : body;
        if (!TryParse(contentType, out var mediaType, out var declaredCharset) || !IsTextual(mediaType))
        {
            return AsBase64(kept, truncated);
        }

        var bytes = kept.Span;
        var (encoding, bomLength) = FromByteOrderMark(bytes);
        encoding ??= ForCharset(declaredCharset ?? "utf-8");
        if (encoding is null)
        {
            return AsBase64(kept, truncated);
        }

        try
        {
            // flush: false when truncated, so a character cut in half at the cap is dropped rather than
            // reported as invalid.
            var decoder = encoding.GetDecoder();
            var payload = bytes[bomLength..];
            var chars = new char[encoding.GetMaxCharCount(payload.Length)];
            var count = decoder.GetChars(payload, chars, flush: !truncated);
            return new ResponseBody(Text, encoding.WebName, new string(chars, 0, count), truncated);
        }
        catch (DecoderFallbackException)
        {
            return AsBase64(kept, truncated);
        }
    }

    private static ResponseBody AsBase64(ReadOnlyMemory<byte> bytes, bool truncated) =>
        new(Base64, null, Convert.ToBase64String(bytes.Span), truncated);

    private static bool TryParse(string? contentType, out string mediaType, out string? charset)
    {
        mediaType = string.Empty;
        charset = null;
        if (string.IsNullOrWhiteSpace(contentType) || !MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType is null)
        {
            return false;
        }

        mediaType = parsed.MediaType.ToLowerInvariant();
        charset = parsed.CharSet?.Trim('"', ' ');
        return true;
    }

    private static bool IsTextual(string mediaType) =>
        mediaType.StartsWith("text/", StringComparison.Ordinal)
        || mediaType.EndsWith("+json", StringComparison.Ordinal)
        || mediaType.EndsWith("+xml", StringComparison.Ordinal)
        || mediaType is "application/json" or "application/xml" or "application/javascript" or "application/ecmascript"
            or "application/x-javascript" or "application/x-www-form-urlencoded" or "application/x-ndjson";

    private static (Encoding? Encoding, int BomLength) FromByteOrderMark(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return (new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true), 3);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return (new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true), 2);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return (new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true), 2);
        }

        return (null, 0);
    }

    /// <summary>
    /// The charset's encoding with exception fallbacks, or null when unknown. Code pages (windows-1252,
    /// shift_jis...) come from <see cref="CodePagesEncodingProvider"/> asked directly: registering it
    /// with <c>Encoding.RegisterProvider</c> would change the whole process, not just this plugin.
    /// </summary>
    private static Encoding? ForCharset(string charset)
    {
        if (string.Equals(charset, "utf8", StringComparison.OrdinalIgnoreCase))
        {
            charset = "utf-8";
        }

        try
        {
            return Encoding.GetEncoding(charset, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        }
        catch (ArgumentException)
        {
            return CodePagesEncodingProvider.Instance.GetEncoding(charset, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
        }
    }
}
