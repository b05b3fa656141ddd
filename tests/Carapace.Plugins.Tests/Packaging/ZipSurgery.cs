using System.Buffers.Binary;
using System.Text;

namespace Carapace.Plugins.Tests.Packaging;

/// <summary>Edits zip headers in place to build archives no well-behaved writer produces.</summary>
internal static class ZipSurgery
{
    /// <summary>Sets the declared uncompressed size of an entry in its local header and central directory record.</summary>
    public static void PatchDeclaredSize(string zipPath, string entryName, uint size)
    {
        var bytes = File.ReadAllBytes(zipPath);
        var name = Encoding.UTF8.GetBytes(entryName);
        var patched = 0;
        for (var i = 0; i + 46 < bytes.Length; i++)
        {
            var signature = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i));
            if (signature == 0x04034b50 && Matches(bytes, i + 30, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + 26)), name))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 22), size);
                patched++;
            }
            else if (signature == 0x02014b50 && Matches(bytes, i + 46, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + 28)), name))
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 24), size);
                patched++;
            }
        }

        if (patched != 2)
        {
            throw new InvalidOperationException($"expected a local and a central header for '{entryName}', patched {patched}");
        }

        File.WriteAllBytes(zipPath, bytes);
    }

    private static bool Matches(byte[] bytes, int offset, int length, byte[] name) =>
        length == name.Length && offset + length <= bytes.Length && bytes.AsSpan(offset, length).SequenceEqual(name);
}
