using Carapace.Plugins.Packaging;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Packaging;

/// <summary>
/// The package path itself: anything but a regular file or a directory is refused before it is opened
/// (a FIFO would block the open forever, /dev/zero never ends), and I/O errors are package errors with codes.
/// </summary>
public sealed class PackageSourceCheckTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _temp = new();

    private string Staging => Path.Combine(_temp.Path, "staging");

    public void Dispose() => _temp.Dispose();

    /// <summary>Stages on another thread so a hang fails the test at the deadline instead of hanging the run.</summary>
    private async Task<PackageException> RefusedPromptlyAsync(string source)
    {
        var staging = Task.Run(() => PackageReader.Stage(source, Staging));
        var finished = await Task.WhenAny(staging, Task.Delay(Deadline));
        Assert.True(finished == staging, $"staging '{source}' did not return within {Deadline}");
        return await Assert.ThrowsAsync<PackageException>(() => staging);
    }

    [Fact]
    public async Task A_fifo_is_refused_without_being_opened()
    {
        var fifo = Path.Combine(_temp.Path, "package.zip");
        TestPackages.Run("mkfifo", fifo);

        var ex = await RefusedPromptlyAsync(fifo);

        Assert.Equal(PackageErrorCodes.SpecialFile, ex.Code);
        Assert.Contains("FIFO", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_symlink_to_a_fifo_is_refused_by_its_final_target()
    {
        var fifo = Path.Combine(_temp.Path, "pipe");
        TestPackages.Run("mkfifo", fifo);
        var link = Path.Combine(_temp.Path, "package.zip");
        File.CreateSymbolicLink(link, fifo);

        Assert.Equal(PackageErrorCodes.SpecialFile, (await RefusedPromptlyAsync(link)).Code);
    }

    [Fact]
    public async Task Dev_zero_is_refused_as_a_character_device()
    {
        var ex = await RefusedPromptlyAsync("/dev/zero");

        Assert.Equal(PackageErrorCodes.SpecialFile, ex.Code);
        Assert.Contains("character device", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_symlink_loop_is_an_io_error_with_a_code()
    {
        var loop = Path.Combine(_temp.Path, "loop.zip");
        File.CreateSymbolicLink(loop, loop);

        Assert.Equal(PackageErrorCodes.IoError, (await RefusedPromptlyAsync(loop)).Code);
    }

    [Fact]
    public void A_directory_where_an_archive_is_expected_is_refused_as_not_a_file()
    {
        var directory = Path.Combine(_temp.Path, "package.zip");
        Directory.CreateDirectory(directory);

        var ex = Assert.Throws<PackageException>(() => PackageReader.StageArchive(directory, Staging));

        Assert.Equal(PackageErrorCodes.NotAFile, ex.Code);
    }

    [Fact]
    public async Task An_unreadable_file_is_package_unreadable()
    {
        // The test runs as root, which chmod 000 does not stop. A write-only sysfs attribute refuses a
        // read open even to root (EACCES from the kernel), so it stands in for an unreadable file there.
        string unreadable;
        if (UnixFileStatusReader.EffectiveUid() != 0)
        {
            unreadable = Path.Combine(_temp.Path, "secret.zip");
            File.WriteAllBytes(unreadable, [1, 2, 3]);
            File.SetUnixFileMode(unreadable, UnixFileMode.None);
        }
        else
        {
            unreadable = "/sys/bus/pci/rescan";
            Assert.True(File.Exists(unreadable), "no unreadable file is available to root on this machine (expected /sys/bus/pci/rescan)");
        }

        var ex = await RefusedPromptlyAsync(unreadable);

        Assert.Equal(PackageErrorCodes.Unreadable, ex.Code);
        Assert.Contains(unreadable, ex.Message, StringComparison.Ordinal);
    }
}
