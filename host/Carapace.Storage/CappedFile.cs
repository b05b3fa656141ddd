namespace Carapace.Storage;

/// <summary>Reads a whole file only when it is small enough, so an oversize file never reaches memory.</summary>
internal static class CappedFile
{
    /// <summary>
    /// The file's bytes, or null when it holds more than <paramref name="maxBytes"/> (also when it grows past
    /// the cap while being read). IO errors propagate.
    /// </summary>
    public static byte[]? ReadAllBytes(string path, long maxBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        if (stream.Length > maxBytes)
        {
            return null;
        }

        // Read one byte past the cap: the length checked above may be stale (a file being written).
        using var buffer = new MemoryStream((int)stream.Length);
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                return null;
            }
        }

        return buffer.ToArray();
    }
}
