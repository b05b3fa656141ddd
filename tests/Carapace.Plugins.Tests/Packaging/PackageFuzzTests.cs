using Carapace.Plugins.Packaging;
using Carapace.Plugins.Signing;
using Carapace.Plugins.Vetting;
using Carapace.Testing;

namespace Carapace.Plugins.Tests.Packaging;

/// <summary>Randomly damaged inputs (fixed seeds, so failures reproduce): refusals are typed, never crashes.</summary>
public sealed class PackageFuzzTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Damaged_archives_are_staged_or_refused_with_a_package_error()
    {
        var source = TestPackages.CreatePluginDirectory(_temp.Path);
        var original = File.ReadAllBytes(PackageSigner.Pack(source, Path.Combine(_temp.Path, "demo.zip")).ArchivePath);
        var random = new Random(4242);
        var damaged = Path.Combine(_temp.Path, "damaged.zip");

        for (var i = 0; i < 150; i++)
        {
            var bytes = original.ToArray();
            for (var flips = random.Next(1, 9); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            File.WriteAllBytes(damaged, bytes);
            var staging = Path.Combine(_temp.Path, "s" + i);
            try
            {
                PackageReader.Stage(damaged, staging);
            }
            catch (PackageException)
            {
                Assert.False(Directory.Exists(staging), $"iteration {i} left a staging directory");
            }
        }
    }

    [Fact]
    public void Damaged_assemblies_are_vetted_without_throwing()
    {
        var original = File.ReadAllBytes(TestPackages.Fixture("Banned"));
        var random = new Random(1717);
        var directory = Path.Combine(_temp.Path, "vet");
        Directory.CreateDirectory(directory);
        var dll = Path.Combine(directory, "Damaged.dll");

        for (var i = 0; i < 200; i++)
        {
            var bytes = original.ToArray();
            for (var flips = random.Next(1, 33); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            File.WriteAllBytes(dll, bytes);
            var report = PluginVetter.Vet(directory);
            Assert.All(report.Findings, f => Assert.Equal("Damaged.dll", f.File));
        }
    }
}
