using Carapace.Testing;

namespace Carapace.Storage.Tests;

public sealed class AtomicFileTests
{
    [Fact]
    public void Write_creates_owner_only_file_with_content()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "state.yaml");

        AtomicFile.WriteAllText(path, "a: 1\n");

        Assert.Equal("a: 1\n", File.ReadAllText(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Write_replaces_existing_file_and_leaves_no_temp_files()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "lock.yaml");
        AtomicFile.WriteAllText(path, "old");

        AtomicFile.WriteAllText(path, "new");

        Assert.Equal("new", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void Failed_write_keeps_the_old_file()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "keep.yaml");
        AtomicFile.WriteAllText(path, "old");
        var missingParent = Path.Combine(dir.Path, "missing", "x.yaml");

        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllText(missingParent, "new"));
        Assert.Equal("old", File.ReadAllText(path));
    }
}
