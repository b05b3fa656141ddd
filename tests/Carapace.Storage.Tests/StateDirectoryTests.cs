using Carapace.Testing;

namespace Carapace.Storage.Tests;

public sealed class StateDirectoryTests
{
    [Fact]
    public void Explicit_environment_variable_wins()
    {
        var env = new Dictionary<string, string?> { ["CARAPACE_STATE_DIR"] = "/srv/cara", ["XDG_CONFIG_HOME"] = "/x" };

        var state = StateDirectory.Resolve(k => env.GetValueOrDefault(k));

        Assert.Equal("/srv/cara", state.Root);
    }

    [Fact]
    public void Xdg_config_home_is_used_when_absolute()
    {
        var env = new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = "/cfg", ["HOME"] = "/home/u" };

        Assert.Equal("/cfg/carapace", StateDirectory.Resolve(k => env.GetValueOrDefault(k)).Root);
    }

    [Fact]
    public void Relative_xdg_is_ignored_in_favour_of_home()
    {
        var env = new Dictionary<string, string?> { ["XDG_CONFIG_HOME"] = "rel", ["HOME"] = "/home/u" };

        Assert.Equal("/home/u/.config/carapace", StateDirectory.Resolve(k => env.GetValueOrDefault(k)).Root);
    }

    [Fact]
    public void IsWritable_reports_false_for_a_read_only_directory_it_cannot_fix()
    {
        using var dir = new TempDirectory();
        var file = Path.Combine(dir.Path, "not-a-dir");
        File.WriteAllText(file, "x");

        Assert.False(new StateDirectory(Path.Combine(file, "state")).IsWritable());
        Assert.True(new StateDirectory(Path.Combine(dir.Path, "ok")).IsWritable());
    }
}
