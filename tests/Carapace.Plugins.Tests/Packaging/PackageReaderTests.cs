using System.IO.Compression;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Packaging;

public sealed class PackageReaderTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string Staging => Path.Combine(_temp.Path, "staging");

    public void Dispose() => _temp.Dispose();

    private PackageException Refused(string archive, PackageLimits? limits = null)
    {
        var ex = Assert.Throws<PackageException>(() => PackageReader.Stage(archive, Staging, limits));
        Assert.False(Directory.Exists(Staging) && Directory.EnumerateFileSystemEntries(Staging).Any(), "nothing may be left in staging");
        return ex;
    }

    [Fact]
    public void Pack_then_stage_round_trips_every_file()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var zip = Path.Combine(_temp.Path, "demo.zip");

        var packed = PackageSigner.Pack(source, zip);
        var staged = PackageReader.Stage(zip, Staging);

        Assert.Equal(TestPackages.Snapshot(source), TestPackages.Snapshot(staged.Directory));
        Assert.Equal(packed.Digest, staged.Digest);
        Assert.Equal(PackageSourceKind.Archive, staged.SourceKind);
        Assert.Equal(5, staged.Files.Count);
        Assert.False(staged.HasSignatureFile);
    }

    [Fact]
    public void Packing_twice_gives_identical_bytes_whatever_the_file_times()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var first = Path.Combine(_temp.Path, "first.zip");
        var second = Path.Combine(_temp.Path, "second.zip");

        PackageSigner.Pack(source, first);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(file, new DateTime(2021, 6, 1, 12, 0, 0, DateTimeKind.Utc));
        }

        PackageSigner.Pack(source, second);

        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        using var archive = ZipFile.OpenRead(first);
        Assert.Equal(archive.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal), archive.Entries.Select(e => e.FullName));
        Assert.All(archive.Entries, e => Assert.Equal(PackageWriter.EntryTimestamp.DateTime, e.LastWriteTime.DateTime));
        Assert.DoesNotContain(archive.Entries, e => e.FullName.EndsWith('/'));
    }

    [Fact]
    public void Directory_package_stages_like_its_archive()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var zip = PackageSigner.Pack(source, Path.Combine(_temp.Path, "demo.zip"));

        var staged = PackageReader.Stage(source, Staging);

        Assert.Equal(PackageSourceKind.Directory, staged.SourceKind);
        Assert.Equal(zip.Digest, staged.Digest);
        Assert.Equal(TestPackages.Snapshot(source), TestPackages.Snapshot(Staging));
    }

    [Fact]
    public void Staged_files_and_directories_are_owner_only()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var staged = PackageReader.Stage(source, Staging);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(staged.Directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(Staging, "wwwroot", "img")));
        Assert.All(Directory.EnumerateFiles(Staging, "*", SearchOption.AllDirectories),
            f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
    }

    [Theory]
    [InlineData("../evil.txt")]
    [InlineData("lib/../../evil.txt")]
    [InlineData("lib/..")]
    public void Zip_slip_entry_is_refused(string name)
    {
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "slip.zip"), ZipItem.Text(name, "x"));

        var ex = Refused(zip);

        Assert.Equal(PackageErrorCodes.PathTraversal, ex.Code);
        Assert.False(File.Exists(Path.Combine(_temp.Path, "evil.txt")));
    }

    [Theory]
    [InlineData(@"..\..\evil.txt")]
    [InlineData(@"lib\evil.dll")]
    public void Backslash_entry_is_refused_as_traversal(string name)
    {
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "slash.zip"), ZipItem.Text(name, "x"));

        Assert.Equal(PackageErrorCodes.PathTraversal, Refused(zip).Code);
    }

    [Theory]
    [InlineData("/etc/cron.d/evil")]
    [InlineData("//server/share/evil")]
    [InlineData("C:/Windows/evil.dll")]
    [InlineData("c:evil.dll")]
    [InlineData(@"\evil.dll")]
    public void Absolute_path_entry_is_refused(string name)
    {
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "abs.zip"), ZipItem.Text(name, "x"));

        Assert.Equal(PackageErrorCodes.AbsolutePath, Refused(zip).Code);
    }

    [Theory]
    [InlineData("a//b.txt")]
    [InlineData("./a.txt")]
    [InlineData("a/./b.txt")]
    [InlineData("bad\u0001name.txt")]
    [InlineData("caf\u00e9.txt")]
    [InlineData("star*.txt")]
    [InlineData("trailing.dll.")]
    public void Odd_names_are_refused_as_invalid_paths(string name)
    {
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "odd.zip"), ZipItem.Text(name, "x"));

        Assert.Equal(PackageErrorCodes.InvalidPath, Refused(zip).Code);
    }

    [Fact]
    public void Symlink_entry_is_refused()
    {
        // S_IFLNK | 0777: extracting tools that honour it would create a link to /etc/passwd.
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "link.zip"),
            new ZipItem("passwd", "/etc/passwd"u8.ToArray(), UnixMode: 0xA1FF));

        var ex = Refused(zip);

        Assert.Equal(PackageErrorCodes.Symlink, ex.Code);
        Assert.Equal("passwd", ex.EntryPath);
    }

    [Theory]
    [InlineData(0x11A4, "FIFO")]
    [InlineData(0x21A4, "character device")]
    [InlineData(0x61A4, "block device")]
    [InlineData(0xC1A4, "socket")]
    public void Device_fifo_and_socket_entries_are_refused(int mode, string described)
    {
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "dev.zip"), new ZipItem("dev", [], UnixMode: mode));

        var ex = Refused(zip);

        Assert.Equal(PackageErrorCodes.SpecialFile, ex.Code);
        Assert.Contains(described, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lib/Tool.dll", "lib/Tool.dll")]
    [InlineData("lib/Tool.dll", "LIB/tool.DLL")]
    public void Duplicate_entries_are_refused(string first, string second)
    {
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "dup.zip"),
            ZipItem.Text(first, "one"), ZipItem.Text(second, "two"));

        Assert.Equal(PackageErrorCodes.DuplicateEntry, Refused(zip).Code);
    }

    [Fact]
    public void A_path_used_as_file_and_directory_is_refused()
    {
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "clash.zip"),
            ZipItem.Text("lib", "file"), ZipItem.Text("lib/Tool.dll", "x"));

        Assert.Equal(PackageErrorCodes.DuplicateEntry, Refused(zip).Code);
    }

    [Fact]
    public void Oversize_archive_is_refused_before_it_is_read()
    {
        // A sparse 51 MiB file: over the default 50 MiB limit, and not even a zip.
        var zip = Path.Combine(_temp.Path, "huge.zip");
        using (var stream = File.Create(zip))
        {
            stream.SetLength(51L * 1024 * 1024);
        }

        var ex = Refused(zip);

        Assert.Equal(PackageErrorCodes.TooLarge, ex.Code);
    }

    [Fact]
    public void Too_many_entries_are_refused()
    {
        var items = Enumerable.Range(0, PackageLimits.Default.MaxEntries).Select(i => ZipItem.Text($"f/{i}.txt", "x")).ToArray();
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "many.zip"), items);

        var ex = Refused(zip);

        Assert.Equal(PackageErrorCodes.TooManyEntries, ex.Code);
        Assert.Contains("declares 2001 entries", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Zip_bomb_is_refused_by_its_compression_ratio()
    {
        var zeros = new byte[16 * 1024 * 1024];
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "bomb.zip"),
            new ZipItem("data.bin", zeros, Level: CompressionLevel.SmallestSize));
        Assert.True(new FileInfo(zip).Length < 100_000);

        var ex = Refused(zip);

        Assert.Equal(PackageErrorCodes.CompressionRatio, ex.Code);
    }

    [Fact]
    public void Total_uncompressed_size_is_limited()
    {
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "big.zip"),
            new ZipItem("a.bin", new byte[600], Level: CompressionLevel.NoCompression),
            new ZipItem("b.bin", new byte[600], Level: CompressionLevel.NoCompression));

        var ex = Refused(zip, new PackageLimits { MaxTotalBytes = 1000 });

        Assert.Equal(PackageErrorCodes.UncompressedTooLarge, ex.Code);
    }

    [Fact]
    public void A_single_file_is_limited()
    {
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "one.zip"),
            new ZipItem("a.bin", new byte[2000], Level: CompressionLevel.NoCompression));

        var ex = Refused(zip, new PackageLimits { MaxFileBytes = 1000 });

        Assert.Equal(PackageErrorCodes.FileTooLarge, ex.Code);
        Assert.Equal("a.bin", ex.EntryPath);
    }

    [Fact]
    public void An_entry_larger_than_its_header_declares_is_refused()
    {
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "lie.zip"),
            new ZipItem("data.bin", new byte[4096], Level: CompressionLevel.NoCompression));
        ZipSurgery.PatchDeclaredSize(zip, "data.bin", 100);

        var ex = Refused(zip);

        Assert.Equal(PackageErrorCodes.SizeMismatch, ex.Code);
    }

    [Fact]
    public void Missing_manifest_is_refused()
    {
        var zip = TestPackages.WriteZip(Path.Combine(_temp.Path, "nomanifest.zip"),
            ZipItem.Text("Plugin.yaml", "id: demo"), ZipItem.Text("Tool.dll", "x"));

        Assert.Equal(PackageErrorCodes.ManifestMissing, Refused(zip).Code);
    }

    [Fact]
    public void A_file_that_is_not_a_zip_is_malformed()
    {
        var path = Path.Combine(_temp.Path, "text.zip");
        File.WriteAllText(path, "this is not a zip archive at all, just text long enough");

        Assert.Equal(PackageErrorCodes.Malformed, Refused(path).Code);
    }

    [Fact]
    public void A_truncated_zip_is_malformed()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var zip = PackageSigner.Pack(source, Path.Combine(_temp.Path, "demo.zip")).ArchivePath;
        var bytes = File.ReadAllBytes(zip);
        File.WriteAllBytes(zip, bytes[..(bytes.Length / 2)]);

        Assert.Equal(PackageErrorCodes.Malformed, Refused(zip).Code);
    }

    [Fact]
    public void Missing_package_is_not_found()
    {
        Assert.Equal(PackageErrorCodes.NotFound, Refused(Path.Combine(_temp.Path, "nope.zip")).Code);
    }

    [Fact]
    public void Staging_into_a_non_empty_directory_is_refused_and_leaves_it_alone()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        Directory.CreateDirectory(Staging);
        File.WriteAllText(Path.Combine(Staging, "keep.txt"), "mine");

        var ex = Assert.Throws<PackageException>(() => PackageReader.Stage(source, Staging));

        Assert.Equal(PackageErrorCodes.StagingNotEmpty, ex.Code);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(Staging, "keep.txt")));
    }

    [Fact]
    public void A_refusal_half_way_through_extraction_removes_what_was_written()
    {
        // The lie is only discovered while copying the second file, after the first was written.
        var zip = TestPackages.WriteZipWithManifest(Path.Combine(_temp.Path, "late.zip"),
            new ZipItem("a.bin", new byte[10], Level: CompressionLevel.NoCompression),
            new ZipItem("z.bin", new byte[4096], Level: CompressionLevel.NoCompression));
        ZipSurgery.PatchDeclaredSize(zip, "z.bin", 100);

        Refused(zip);

        Assert.False(Directory.Exists(Staging));
    }

    [Fact]
    public void Directory_package_with_an_escaping_symlink_is_refused()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        File.CreateSymbolicLink(Path.Combine(source, "passwd"), "/etc/passwd");

        var ex = Refused(source);

        Assert.Equal(PackageErrorCodes.Symlink, ex.Code);
        Assert.Contains("escapes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Directory_package_with_an_internal_symlink_is_refused_too()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        File.CreateSymbolicLink(Path.Combine(source, "alias.yaml"), "plugin.yaml");

        Assert.Equal(PackageErrorCodes.Symlink, Refused(source).Code);
    }

    [Fact]
    public void Directory_package_with_a_fifo_is_refused_without_blocking()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        TestPackages.Run("mkfifo", Path.Combine(source, "pipe"));

        var ex = Refused(source);

        Assert.Equal(PackageErrorCodes.SpecialFile, ex.Code);
        Assert.Equal("pipe", ex.EntryPath);
    }
}
