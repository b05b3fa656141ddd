using System.Text.RegularExpressions;
using Carapace.Plugins.Signing;

namespace Carapace.Testing;

/// <summary>
/// Real plugin packages built during the test run from the published fixture plugins
/// (<c>&lt;test bin&gt;/plugins/&lt;id&gt;</c>, or <c>fixture-packages/&lt;id&gt;</c> for install-only fixtures):
/// copied, given a version, edited, and packed (optionally signed) with the same code as <c>cara plugins pack</c>.
/// Compiled into the test projects that install plugins (see their csproj).
/// </summary>
internal static partial class FixturePackage
{
    public static string PublishedDirectory(string id)
    {
        var bundled = Path.Combine(AppContext.BaseDirectory, "plugins", id);
        return System.IO.Directory.Exists(bundled) ? bundled : Path.Combine(AppContext.BaseDirectory, "fixture-packages", id);
    }

    /// <summary>A copy of fixture <paramref name="id"/> under <paramref name="parent"/> with its manifest version set, then edited.</summary>
    public static string Directory(string parent, string id = "good-tool", string version = "1.0.0", Action<string>? edit = null)
    {
        var source = Path.Combine(parent, $"src-{id}-{version}-{Guid.NewGuid():N}");
        CopyTree(PublishedDirectory(id), source);
        var manifest = Path.Combine(source, "plugin.yaml");
        File.WriteAllText(manifest, VersionLine().Replace(File.ReadAllText(manifest), $"version: {version}"));
        edit?.Invoke(source);
        return source;
    }

    /// <summary>A <c>.zip</c> of fixture <paramref name="id"/>, signed with <paramref name="key"/> when given.</summary>
    public static string Zip(string parent, SigningKey? key, string id = "good-tool", string version = "1.0.0", Action<string>? edit = null) =>
        Pack(Directory(parent, id, version, edit), key);

    /// <summary>Packs a directory as it is (a <c>plugin.sig</c> already in it is carried along).</summary>
    public static string Pack(string directory, SigningKey? key = null) => PackageSigner.Pack(directory, directory + ".zip", key).ArchivePath;

    public static void CopyTree(string from, string to)
    {
        System.IO.Directory.CreateDirectory(to);
        foreach (var file in System.IO.Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [GeneratedRegex("(?m)^version: .*$")]
    private static partial Regex VersionLine();
}
