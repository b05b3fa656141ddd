using System.Text;
using System.Text.Json;

namespace Carapace.Host.Audit;

/// <summary>
/// Reads the newest audit lines from the end of <c>audit.jsonl</c> (continuing into <c>audit.jsonl.1</c>
/// when more are asked for), without loading whole files. A torn last line (a write cut short by a
/// crash) and any line that is not a JSON object are skipped and counted, never fatal.
/// </summary>
internal static class AuditFileReader
{
    private const int Chunk = 64 * 1024;

    public static AuditRead ReadNewest(string path, int count)
    {
        var lines = new List<string>(Math.Min(count, 1024));
        var skipped = 0;
        foreach (var file in new[] { path, path + ".1" })
        {
            if (lines.Count >= count)
            {
                break;
            }

            skipped += ReadFileNewest(file, count - lines.Count, lines);
        }

        lines.Reverse();
        return new AuditRead(lines, skipped);
    }

    /// <summary>Appends up to <paramref name="wanted"/> valid lines, newest first; returns how many were skipped.</summary>
    private static int ReadFileNewest(string path, int wanted, List<string> newestFirst)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
        catch (DirectoryNotFoundException)
        {
            return 0;
        }

        using (stream)
        {
            var skipped = 0;
            var end = stream.Length;
            var carry = Array.Empty<byte>();
            var first = true;
            var found = 0;
            while (end > 0 && found < wanted)
            {
                var start = Math.Max(0, end - Chunk);
                var block = new byte[end - start + carry.Length];
                stream.Position = start;
                stream.ReadExactly(block, 0, (int)(end - start));
                carry.CopyTo(block, (int)(end - start));
                end = start;

                var span = block.AsSpan();
                if (first)
                {
                    first = false;
                    var lastNewline = span.LastIndexOf((byte)'\n');
                    if (lastNewline != span.Length - 1)
                    {
                        // Torn last line: only a line ended by '\n' was written completely.
                        if (span[(lastNewline + 1)..].Trim((byte)' ').Length > 0)
                        {
                            skipped++;
                        }

                        span = span[..(lastNewline + 1)];
                    }
                }

                // Lines wholly inside this block; the head before the first newline may continue in the previous block.
                var body = span;
                while (found < wanted)
                {
                    var trimmed = body.Length > 0 && body[^1] == (byte)'\n' ? body[..^1] : body;
                    var newline = trimmed.LastIndexOf((byte)'\n');
                    if (newline < 0 && start > 0)
                    {
                        carry = trimmed.ToArray();
                        break;
                    }

                    var line = trimmed[(newline + 1)..];
                    if (line.Length > 0)
                    {
                        if (IsJsonObject(line))
                        {
                            newestFirst.Add(Encoding.UTF8.GetString(line));
                            found++;
                        }
                        else
                        {
                            skipped++;
                        }
                    }

                    if (newline < 0)
                    {
                        carry = [];
                        break;
                    }

                    body = trimmed[..(newline + 1)];
                }

                if (carry.Length > 16 * AuditLine.MaxBytes)
                {
                    // No newline for far longer than any line can be: not our file format.
                    return skipped + 1;
                }
            }

            return skipped;
        }
    }

    private static bool IsJsonObject(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line);
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object && reader.BytesConsumed == line.Length;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>Newest lines, oldest first, and how many unreadable lines were passed over.</summary>
internal sealed record AuditRead(IReadOnlyList<string> Lines, int Skipped);
