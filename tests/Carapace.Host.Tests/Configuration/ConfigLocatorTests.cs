using Carapace.Host.Configuration;
using Carapace.Testing;

namespace Carapace.Host.Tests.Configuration;

public sealed class ConfigLocatorTests
{
    [Fact]
    public void Command_line_wins_over_everything()
    {
        var location = ConfigLocator.Locate("/x/cli.yaml", k => k == "CARAPACE_CONFIG_PATH" ? "/x/env.yaml" : null);

        Assert.Equal(("/x/cli.yaml", true), (location.Path, location.Explicit));
    }

    [Fact]
    public void Config_path_variable_comes_next()
    {
        var location = ConfigLocator.Locate(null, k => k == "CARAPACE_CONFIG_PATH" ? "/x/env.yaml" : null);

        Assert.Equal(("/x/env.yaml", true), (location.Path, location.Explicit));
    }

    [Fact]
    public void State_dir_file_is_used_when_it_exists()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(Path.Combine(dir.Path, "carapace.yaml"), "{}");

        var location = ConfigLocator.Locate(null, k => k == "CARAPACE_STATE_DIR" ? dir.Path : null);

        Assert.Equal(Path.Combine(dir.Path, "carapace.yaml"), location.Path);
        Assert.False(location.Explicit);
    }

    [Fact]
    public void Falls_back_to_xdg_config_home()
    {
        using var dir = new TempDirectory();

        var location = ConfigLocator.Locate(null, k => k switch
        {
            "CARAPACE_STATE_DIR" => dir.Path,
            "XDG_CONFIG_HOME" => "/xdg",
            _ => null,
        });

        Assert.Equal("/xdg/carapace/carapace.yaml", location.Path);
        Assert.False(location.Explicit);
    }
}
