using System.IO.Compression;
using System.Text;

namespace Carapace.Plugins.Tests.Packaging;

/// <summary>One entry of a hand-made (possibly hostile) zip.</summary>
internal sealed record ZipItem(string Name, byte[] Content, int UnixMode = 0x81A4, CompressionLevel Level = CompressionLevel.Optimal)
{
    public static ZipItem Text(string name, string content) => new(name, Encoding.UTF8.GetBytes(content));
}

/// <summary>Builds real plugin directories and archives for the packaging tests.</summary>
internal static class TestPackages
{
    public const string Manifest = "id: demo\nname: Demo\nversion: 1.0.0\ntargetAbi: 1.0\nentryAssembly: Carapace.Fixtures.Vetting.Clean.dll\nkind: [tool]\n";

    /// <summary>The compiled vetting fixture (Banned or Clean) copied next to the tests by the build.</summary>
    public static string Fixture(string name) =>
        Path.Combine(AppContext.BaseDirectory, "VettingFixtures", $"Carapace.Fixtures.Vetting.{name}.dll");

    /// <summary>A publish-shaped plugin directory: manifest, the clean fixture assembly, a resource in a subfolder.</summary>
    public static string CreatePluginDirectory(string parent, string name = "plugin")
    {
        var directory = Path.Combine(parent, name);
        Directory.CreateDirectory(Path.Combine(directory, "wwwroot", "img"));
        File.WriteAllText(Path.Combine(directory, "plugin.yaml"), Manifest);
        File.Copy(Fixture("Clean"), Path.Combine(directory, "Carapace.Fixtures.Vetting.Clean.dll"));
        File.WriteAllText(Path.Combine(directory, "Carapace.Fixtures.Vetting.Clean.deps.json"), "{\"runtimeTarget\":{}}");
        File.WriteAllBytes(Path.Combine(directory, "wwwroot", "img", "logo.png"), [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        File.WriteAllText(Path.Combine(directory, "wwwroot", "README.txt"), "hello\n");
        return directory;
    }

    /// <summary>Writes a zip with exactly the given entries (names, modes and order as given).</summary>
    public static string WriteZip(string path, params ZipItem[] items)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite);
        using var archive = new ZipArchive(stream, ZipArchiveMode.Create);
        foreach (var item in items)
        {
            var entry = archive.CreateEntry(item.Name, item.Level);
            entry.ExternalAttributes = item.UnixMode << 16;
            using var output = entry.Open();
            output.Write(item.Content);
        }

        return path;
    }

    /// <summary>A zip with a valid manifest plus the given entries.</summary>
    public static string WriteZipWithManifest(string path, params ZipItem[] items) =>
        WriteZip(path, [ZipItem.Text("plugin.yaml", Manifest), .. items]);

    /// <summary>Relative path → content of every file under a directory.</summary>
    public static SortedDictionary<string, string> Snapshot(string directory) =>
        new(Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
                .ToDictionary(f => Path.GetRelativePath(directory, f).Replace('\\', '/'), f => Convert.ToHexString(File.ReadAllBytes(f))),
            StringComparer.Ordinal);

    /// <summary>Runs a command-line tool (mkfifo, chown, ln) for setups .NET has no API for.</summary>
    public static void Run(string file, params string[] arguments)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed: {error}");
    }
}
