using Carapace.Sandbox.Running;

namespace Carapace.Sandbox.Tests.Scratch;

/// <summary>Scratch cleanup: the fast rmdir path for an empty dir and the recursive path for whatever a run left.</summary>
public sealed class ScratchDirectoriesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("carapace-scratch-test-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData("empty")]
    [InlineData("files")]
    [InlineData("read-only-subdir")]
    public void A_run_directory_is_removed_whatever_the_run_left(string what)
    {
        var scratch = new ScratchDirectories(_root);
        var dir = scratch.Create("run", null);
        if (what != "empty")
        {
            var sub = Directory.CreateDirectory(Path.Combine(dir, "a", "b")).FullName;
            File.WriteAllText(Path.Combine(sub, "f"), "x");
            if (what == "read-only-subdir" && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(Path.Combine(dir, "a"), UnixFileMode.UserRead | UnixFileMode.UserExecute);
            }
        }

        ScratchDirectories.Delete(dir);

        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Deleting_a_missing_directory_is_a_no_op()
    {
        ScratchDirectories.Delete(Path.Combine(_root, "never-created"));
        Assert.True(Directory.Exists(_root));
    }
}
