using System.Buffers.Binary;

namespace Carapace.Plugins.Packaging;

/// <summary>
/// Reads the entry count from a zip's end-of-central-directory record before
/// <see cref="System.IO.Compression.ZipArchive"/> materialises every entry in memory, so a small
/// archive declaring a million entries is refused without allocating for them. ZipArchive checks
/// afterwards that the central directory holds exactly the declared count.
/// </summary>
internal static class ZipDirectoryProbe
{
    private const uint EndOfCentralDirectorySignature = 0x06054b50;
    private const uint Zip64LocatorSignature = 0x07064b50;
    private const uint Zip64EndSignature = 0x06064b50;
    private const int EndRecordSize = 22;
    private const int MaxCommentSize = ushort.MaxValue;

    /// <summary>The declared number of entries; throws <see cref="PackageException"/> when there is no zip trailer.</summary>
    public static long DeclaredEntryCount(Stream stream)
    {
        var length = stream.Length;
        if (length < EndRecordSize)
        {
            throw NotAZip();
        }

        var tailLength = (int)Math.Min(length, EndRecordSize + MaxCommentSize);
        var tail = new byte[tailLength];
        stream.Seek(length - tailLength, SeekOrigin.Begin);
        stream.ReadExactly(tail);

        for (var i = tailLength - EndRecordSize; i >= 0; i--)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(i)) != EndOfCentralDirectorySignature)
            {
                continue;
            }

            var count = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(i + 10));
            if (count != ushort.MaxValue)
            {
                return count;
            }

            return Zip64Count(stream, length - tailLength + i);
        }

        throw NotAZip();
    }

    private static long Zip64Count(Stream stream, long endRecordOffset)
    {
        // The zip64 locator (20 bytes) sits right before the classic record and points at the zip64 record.
        if (endRecordOffset < 20)
        {
            throw NotAZip();
        }

        Span<byte> locator = stackalloc byte[20];
        stream.Seek(endRecordOffset - 20, SeekOrigin.Begin);
        stream.ReadExactly(locator);
        if (BinaryPrimitives.ReadUInt32LittleEndian(locator) != Zip64LocatorSignature)
        {
            return ushort.MaxValue;
        }

        var recordOffset = BinaryPrimitives.ReadUInt64LittleEndian(locator[8..]);
        if (recordOffset > (ulong)(stream.Length - 56))
        {
            throw NotAZip();
        }

        Span<byte> record = stackalloc byte[56];
        stream.Seek((long)recordOffset, SeekOrigin.Begin);
        stream.ReadExactly(record);
        if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndSignature)
        {
            throw NotAZip();
        }

        var total = BinaryPrimitives.ReadUInt64LittleEndian(record[32..]);
        return total > long.MaxValue ? long.MaxValue : (long)total;
    }

    private static PackageException NotAZip() =>
        new(PackageErrorCodes.Malformed, "the file is not a zip archive (no end-of-central-directory record)");
}
