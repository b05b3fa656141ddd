using Carapace.Plugins.Lock;
using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Lock;

public sealed class PluginLockFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    private string LockPath => PluginLockFile.PathIn(Path.Combine(_temp.Path, "plugins"));

    public void Dispose() => _temp.Dispose();

    internal static PluginLockEntry Entry(string id, bool signed = true) => new()
    {
        Id = id,
        Version = "1.2.0-beta.1+build.5",
        Sha256 = ContentDigest.Parse(new string('a', 64)),
        PublisherKey = signed ? PublisherKey.Parse(new string('b', 64)) : null,
        SignatureSha256 = signed ? new string('c', 64) : null,
        InstalledAt = new DateTimeOffset(2025, 11, 25, 10, 30, 15, 123, TimeSpan.Zero),
        Source = "/home/op/Downloads/demo plugin: v1.zip",
        AllowUnsigned = !signed,
        AllowUnvetted = !signed,
        FindingCount = signed ? 0 : 3,
        Findings = signed ? [] : [new LockedFinding("process", "lib/A.dll: A.Run() calls System.Diagnostics.Process.Start(string)"), new LockedFinding("thread", "x \"quoted\"\nline")],
    };

    private void WriteRaw(string yaml)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(LockPath)!);
        File.WriteAllText(LockPath, yaml);
    }

    private PluginLockException Malformed(string yaml)
    {
        WriteRaw(yaml);
        return Assert.Throws<PluginLockException>(() => PluginLockFile.Read(LockPath));
    }

    [Fact]
    public void A_missing_lock_file_is_an_empty_lock()
    {
        Assert.Empty(PluginLockFile.Read(LockPath).Plugins);
    }

    [Fact]
    public void Lock_file_round_trips_every_field()
    {
        var written = PluginLock.Empty.With(Entry("zeta")).With(Entry("alpha", signed: false));

        PluginLockFile.Write(LockPath, written);
        var read = PluginLockFile.Read(LockPath);

        Assert.Equal(written, read);
        Assert.Equal(["alpha", "zeta"], read.Plugins.Select(p => p.Id));
        Assert.Equal(Entry("alpha", signed: false).Findings, read.Find("alpha")!.Findings);
    }

    [Fact]
    public void Lock_file_is_owner_only_and_written_atomically()
    {
        PluginLockFile.Write(LockPath, PluginLock.Empty.With(Entry("demo")));
        PluginLockFile.Write(LockPath, PluginLock.Empty.With(Entry("other")));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LockPath));
        Assert.Equal(["plugins-lock.yaml"], Directory.EnumerateFiles(Path.GetDirectoryName(LockPath)!).Select(Path.GetFileName));
        Assert.Equal(["other"], PluginLockFile.Read(LockPath).Plugins.Select(p => p.Id));
    }

    [Fact]
    public void With_replaces_and_Without_removes_by_id()
    {
        var lockFile = PluginLock.Empty.With(Entry("demo")).With(Entry("demo", signed: false));

        Assert.Null(Assert.Single(lockFile.Plugins).PublisherKey);
        Assert.Empty(lockFile.Without("demo").Plugins);
        Assert.Same(lockFile.Find("demo"), lockFile.Without("nope").Find("demo"));
    }

    [Fact]
    public void Invalid_yaml_fails_with_line_and_column()
    {
        var ex = Malformed("version: 1\nplugins:\n  - id: \"demo\n    version: [\n");

        Assert.Equal(LockPath, ex.FilePath);
        Assert.True(ex.Line >= 3, ex.Message);
        Assert.StartsWith($"{LockPath}:{ex.Line}:{ex.Column}: not valid YAML", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_fails_at_its_position()
    {
        PluginLockFile.Write(LockPath, PluginLock.Empty.With(Entry("demo")));
        var text = File.ReadAllText(LockPath).Replace("  source:", "  sorce:", StringComparison.Ordinal);
        var line = text.Split('\n').ToList().FindIndex(l => l.Contains("sorce:", StringComparison.Ordinal)) + 1;

        var ex = Malformed(text);

        Assert.Equal(line, ex.Line);
        Assert.Equal(3, ex.Column);
        Assert.Contains("unknown key 'sorce'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("version: 1\nplugins:\n  - id: demo\n    version: 1.0.0\n    sha256: nothex\n    installedAt: 2025-01-01T00:00:00Z\n    source: x\n", 5, "sha256")]
    [InlineData("version: 1\nplugins:\n  - id: Demo!\n    version: 1.0.0\n", 3, "id 'Demo!'")]
    [InlineData("version: 1\nplugins:\n  - id: demo\n    version: ../../etc\n", 4, "version '../../etc'")]
    [InlineData("version: 1\nplugins:\n  - id: demo\n    version: 1.0.0\n    sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n    installedAt: yesterday\n", 6, "installedAt")]
    [InlineData("version: 1\nplugins:\n  - id: demo\n    allowUnsigned: maybe\n    version: 1.0.0\n    sha256: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n    installedAt: 2025-01-01T00:00:00Z\n    source: x\n", 4, "allowUnsigned")]
    [InlineData("version: 1\nplugins:\n  - id: demo\n    version: 1.0.0\n", 3, "missing required key 'sha256'")]
    [InlineData("version: 1\nplugins: 7\n", 2, "plugins must be a list")]
    [InlineData("version: 2\nplugins: []\n", 1, "newer Carapace")]
    [InlineData("plugins: []\n", 1, "missing required key 'version'")]
    [InlineData("- just\n- a list\n", 1, "must be a mapping")]
    public void Invalid_content_fails_with_a_clear_error_at_its_line(string yaml, int line, string expected)
    {
        var ex = Malformed(yaml);

        Assert.Equal(line, ex.Line);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicate_plugin_id_fails()
    {
        PluginLockFile.Write(LockPath, PluginLock.Empty.With(Entry("demo")));
        var text = File.ReadAllText(LockPath);
        var entry = text[text.IndexOf("- id:", StringComparison.Ordinal)..];

        var ex = Malformed(text + entry);

        Assert.Contains("appears more than once", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_file_is_not_silently_treated_as_no_plugins()
    {
        Assert.Contains("empty", Malformed("").Message, StringComparison.Ordinal);
        Assert.Contains("empty", Malformed("# only a comment\n").Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_malformed_lock_is_left_untouched()
    {
        WriteRaw("version: [\n");

        Assert.Throws<PluginLockException>(() => PluginLockFile.Read(LockPath));

        Assert.Equal("version: [\n", File.ReadAllText(LockPath));
    }

    [Fact]
    public void Twenty_thousand_levels_of_nesting_are_refused_with_a_position_not_a_stack_overflow()
    {
        var deep = "version: 1\nplugins: " + new string('[', 20_000) + new string(']', 20_000) + "\n";

        var ex = Malformed(deep);

        Assert.Equal(2, ex.Line);
        Assert.Contains("nesting deeper than", ex.Message, StringComparison.Ordinal);
        Assert.IsType<YamlDotNet.Core.YamlException>(ex.InnerException);
    }

    [Fact]
    public void An_alias_is_refused_even_where_the_anchored_value_would_be_valid()
    {
        PluginLockFile.Write(LockPath, PluginLock.Empty.With(Entry("demo")));
        var text = File.ReadAllText(LockPath).Replace("  source: ", "  source: &src ", StringComparison.Ordinal)
            .Replace("  installedAt: ", "  installedAt: *src\n    x: ", StringComparison.Ordinal);

        var ex = Malformed(text);

        Assert.Contains("aliases (*src) are not supported", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("version: 1\nplugins: !!python/object:os.system []\n", 2)]
    [InlineData("version: !custom 1\nplugins: []\n", 1)]
    [InlineData("version: 1\nplugins:\n  - !<tag:example.com,2000:entry> {id: demo}\n", 3)]
    public void An_explicit_tag_is_refused_at_its_position(string yaml, int line)
    {
        var ex = Malformed(yaml);

        Assert.Equal(line, ex.Line);
        Assert.Contains("tags", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_lock_file_fails_with_a_clear_error_at_every_cut()
    {
        PluginLockFile.Write(LockPath, PluginLock.Empty.With(Entry("demo")).With(Entry("other", signed: false)));
        var full = File.ReadAllText(LockPath);

        // Every prefix either fails as a PluginLockException or (cut at a line end that still forms a whole
        // document) reads as a valid lock; nothing else escapes.
        var failures = 0;
        for (var cut = 0; cut < full.Length; cut += 7)
        {
            WriteRaw(full[..cut]);
            try
            {
                PluginLockFile.Read(LockPath);
            }
            catch (PluginLockException ex)
            {
                failures++;
                Assert.StartsWith(LockPath + ":", ex.Message, StringComparison.Ordinal);
            }
        }

        Assert.True(failures > 10, $"only {failures} truncations failed");
        var mid = Malformed(full[..(full.IndexOf("sha256: \"", StringComparison.Ordinal) + 12)]);
        Assert.Contains("not valid YAML", mid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_are_refused()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(LockPath)!);
        File.WriteAllBytes(LockPath, [.. "version: 1\nplugins: []\n# "u8, 0xC3, 0x28, (byte)'\n']);

        var ex = Assert.Throws<PluginLockException>(() => PluginLockFile.Read(LockPath));

        Assert.Contains("not valid UTF-8", ex.Message, StringComparison.Ordinal);
    }
}
