using Carapace.Plugins.Packaging;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Packaging;

public sealed class PluginDirectorySafetyTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private readonly TempDirectory _temp = new();
    private readonly string _root;
    private readonly string _plugin;

    public PluginDirectorySafetyTests()
    {
        _root = Path.Combine(_temp.Path, "plugins");
        Directory.CreateDirectory(_root, Private);
        Directory.CreateDirectory(Path.Combine(_root, "demo"), Private);
        var staged = PackageReader.Stage(TestPackages.CreatePluginDirectory(_temp.Path, "source"), Path.Combine(_root, "demo", "1.0.0"));
        _plugin = staged.Directory;
    }

    public void Dispose() => _temp.Dispose();

    private DirectorySafetyReport Check() => PluginDirectorySafety.Check(_root, _plugin);

    [Fact]
    public void An_owner_only_installed_plugin_is_safe()
    {
        var report = Check();

        Assert.True(report.IsSafe, string.Join("; ", report.Problems));
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public void A_world_writable_plugin_directory_is_refused()
    {
        File.SetUnixFileMode(_plugin, Private | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);

        var problem = Assert.Single(Check().Problems);

        Assert.Equal(DirectorySafetyCodes.WorldWritable, problem.Code);
        Assert.Equal(PathContainment.Resolve(_plugin), problem.Path);
    }

    [Fact]
    public void A_world_writable_parent_up_to_the_plugins_root_is_refused()
    {
        File.SetUnixFileMode(_root, Private | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);

        var problem = Assert.Single(Check().Problems);

        Assert.Equal(DirectorySafetyCodes.WorldWritable, problem.Code);
        Assert.Equal(PathContainment.Resolve(_root), problem.Path);
    }

    [Fact]
    public void Parents_above_the_plugins_root_are_not_judged()
    {
        // The temp dir lives under /tmp (1777); that is the caller's business, not the plugin's.
        File.SetUnixFileMode(_temp.Path, Private | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);

        Assert.True(Check().IsSafe);
    }

    [Fact]
    public void A_world_writable_file_inside_is_refused()
    {
        var dll = Path.Combine(_plugin, "Carapace.Fixtures.Vetting.Clean.dll");
        File.SetUnixFileMode(dll, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherWrite);

        var problem = Assert.Single(Check().Problems);

        Assert.Equal(DirectorySafetyCodes.WorldWritable, problem.Code);
        Assert.Equal(PathContainment.Resolve(dll), problem.Path);
    }

    [Fact]
    public void A_symlink_escaping_the_plugin_directory_is_refused()
    {
        File.CreateSymbolicLink(Path.Combine(_plugin, "wwwroot", "passwd"), "/etc/passwd");

        var problem = Assert.Single(Check().Problems);

        Assert.Equal(DirectorySafetyCodes.SymlinkEscape, problem.Code);
    }

    [Fact]
    public void A_relative_symlink_climbing_out_is_refused()
    {
        File.WriteAllText(Path.Combine(_root, "demo", "outside.dll"), "x");
        File.CreateSymbolicLink(Path.Combine(_plugin, "Evil.dll"), "../outside.dll");

        Assert.Equal(DirectorySafetyCodes.SymlinkEscape, Assert.Single(Check().Problems).Code);
    }

    [Fact]
    public void A_symlink_staying_inside_is_accepted()
    {
        File.CreateSymbolicLink(Path.Combine(_plugin, "alias.yaml"), "plugin.yaml");
        Directory.CreateSymbolicLink(Path.Combine(_plugin, "assets"), Path.Combine(_plugin, "wwwroot"));

        Assert.True(Check().IsSafe, string.Join("; ", Check().Problems));
    }

    [Fact]
    public void A_plugin_directory_reached_through_a_link_out_of_the_root_is_refused()
    {
        var elsewhere = Path.Combine(_temp.Path, "elsewhere");
        Directory.CreateDirectory(elsewhere, Private);
        Directory.CreateSymbolicLink(Path.Combine(_root, "linked"), elsewhere);

        var problem = Assert.Single(PluginDirectorySafety.Check(_root, Path.Combine(_root, "linked")).Problems);

        Assert.Equal(DirectorySafetyCodes.OutsideRoot, problem.Code);
    }

    [Fact]
    public void A_plugins_root_reached_through_a_symlink_is_judged_by_its_target()
    {
        var alias = Path.Combine(_temp.Path, "state-link");
        Directory.CreateSymbolicLink(alias, _root);

        var report = PluginDirectorySafety.Check(alias, Path.Combine(alias, "demo", "1.0.0"));

        Assert.True(report.IsSafe, string.Join("; ", report.Problems));
    }

    [Fact]
    public void A_directory_owned_by_another_user_is_refused()
    {
        // The suite runs as root (uid 0), which may chown; 65534 is nobody.
        TestPackages.Run("chown", "65534", _plugin);

        var problem = Assert.Single(Check().Problems);

        Assert.Equal(DirectorySafetyCodes.ForeignOwner, problem.Code);
        Assert.Contains("uid 65534", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_owned_by_another_user_is_refused()
    {
        var dll = Path.Combine(_plugin, "Carapace.Fixtures.Vetting.Clean.dll");
        TestPackages.Run("chown", "65534:65534", dll);

        var problem = Assert.Single(Check().Problems);

        Assert.Equal(DirectorySafetyCodes.ForeignOwner, problem.Code);
        Assert.Equal(PathContainment.Resolve(dll), problem.Path);
    }

    [Fact]
    public void A_fifo_inside_is_refused()
    {
        TestPackages.Run("mkfifo", "-m", "600", Path.Combine(_plugin, "pipe"));

        Assert.Equal(DirectorySafetyCodes.SpecialFile, Assert.Single(Check().Problems).Code);
    }

    [Fact]
    public void A_directory_outside_the_plugins_root_is_refused()
    {
        var report = PluginDirectorySafety.Check(_root, _temp.Path);

        Assert.Equal(DirectorySafetyCodes.OutsideRoot, Assert.Single(report.Problems).Code);
    }

    [Fact]
    public void A_linked_development_directory_is_checked_as_its_own_root()
    {
        var dev = TestPackages.CreatePluginDirectory(_temp.Path, "dev");
        File.SetUnixFileMode(dev, Private);
        Assert.True(PluginDirectorySafety.Check(dev).IsSafe, string.Join("; ", PluginDirectorySafety.Check(dev).Problems));

        File.CreateSymbolicLink(Path.Combine(dev, "secrets"), "/root");
        Assert.Equal(DirectorySafetyCodes.SymlinkEscape, Assert.Single(PluginDirectorySafety.Check(dev).Problems).Code);
    }

    [Fact]
    public void Unix_file_status_reports_type_owner_and_mode()
    {
        var status = UnixFileStatusReader.TryLstat(_plugin)!.Value;

        Assert.Equal(UnixFileType.Directory, status.Type);
        Assert.Equal(UnixFileStatusReader.EffectiveUid(), status.OwnerUid);
        Assert.Equal(Private, status.Mode);
        Assert.Throws<IOException>(() => UnixFileStatusReader.TryLstat(Path.Combine(_plugin, "missing")));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_io_error_while_checking_is_an_unsafe_verdict_with_the_reason_not_an_exception(bool permission)
    {
        var report = PluginDirectorySafety.Check(_root, _plugin, path => permission
            ? throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.")
            : throw new IOException("Input/output error"));

        var problem = Assert.Single(report.Problems);
        Assert.False(report.IsSafe);
        Assert.Equal(DirectorySafetyCodes.Unreadable, problem.Code);
        Assert.Contains(permission ? "is denied" : "Input/output error", problem.Message, StringComparison.Ordinal);
    }
}
