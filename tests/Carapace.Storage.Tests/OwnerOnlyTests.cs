using Carapace.Testing;

namespace Carapace.Storage.Tests;

public sealed class OwnerOnlyTests
{
    [Fact]
    public void EnsureDirectory_creates_0700()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "state");

        OwnerOnly.EnsureDirectory(path);

        Assert.Equal(OwnerOnly.DirectoryMode, File.GetUnixFileMode(path));
    }

    [Fact]
    public void EnsureDirectory_tightens_a_wider_directory()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "wide");
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_111_111);

        OwnerOnly.EnsureDirectory(path);

        Assert.False(OwnerOnly.IsWiderThanOwner(path));
    }

    [Fact]
    public void EnsureDirectory_refuses_a_symlink()
    {
        using var dir = new TempDirectory();
        var target = Directory.CreateDirectory(Path.Combine(dir.Path, "target")).FullName;
        var link = Path.Combine(dir.Path, "link");
        Directory.CreateSymbolicLink(link, target);

        var ex = Assert.Throws<IOException>(() => OwnerOnly.EnsureDirectory(link));
        Assert.Contains("symbolic link", ex.Message, StringComparison.Ordinal);
    }
}
