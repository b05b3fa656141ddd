using Carapace.Plugins.Install;
using Carapace.Plugins.Lock;
using Carapace.Plugins.Runtime;
using Carapace.Plugins.Signing;
using Carapace.Testing.PluginHarness;
using Carapace.Testing;
using Microsoft.Extensions.DependencyInjection;
using TempDirectory = Carapace.Testing.PluginHarness.TempDirectory;

namespace Carapace.Plugins.Tests.Install;

/// <summary>
/// A real plugin runtime with managed plugins under a temporary state directory, a generated publisher
/// key that the signature policy trusts, and packages built during the test from the published fixtures.
/// </summary>
internal sealed class ManagedHarness : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<PluginRuntimeOptions>? _configure;
    private readonly IReadOnlyList<string> _pluginPaths;
    private readonly IInstallPausePoints? _pauses;

    private ManagedHarness(TempDirectory dir, SigningKey key, Dictionary<string, string?> settings, Action<PluginRuntimeOptions>? configure,
        IReadOnlyList<string> pluginPaths, IInstallPausePoints? pauses)
    {
        Dir = dir;
        Key = key;
        _settings = settings;
        _configure = configure;
        _pluginPaths = pluginPaths;
        _pauses = pauses;
    }

    public TempDirectory Dir { get; }
    public SigningKey Key { get; }
    public RuntimeHarness Harness { get; private set; } = null!;
    public string Root => Dir.Combine("state", "plugins");
    public PluginInstaller Installer => Harness.Service<PluginInstaller>();
    public PluginRuntime Runtime => Harness.Runtime;
    public PluginLock Lock => PluginLockFile.Read(PluginLockFile.PathIn(Root));

    /// <summary>The published fixture plugins: in plugins/ (also runtime fixtures) or fixture-packages/ (install-only).</summary>
    public static string Fixture(string id) => FixturePackage.PublishedDirectory(id);

    /// <param name="pluginPaths">Configured (path) plugin folders loaded next to the managed ones.</param>
    /// <param name="pauses">The installer's pause points (tests act at them); none when null.</param>
    public static async Task<ManagedHarness> StartAsync(
        IDictionary<string, string?>? settings = null, bool trustKey = true, Action<PluginRuntimeOptions>? configure = null,
        IReadOnlyList<string>? pluginPaths = null, IInstallPausePoints? pauses = null)
    {
        var dir = new TempDirectory();
        var key = SigningKey.Generate();
        var all = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>());
        if (trustKey)
        {
            all["plugins:signature:trustedPublishers:0"] = key.PublicKey.Hex;
        }

        var harness = new ManagedHarness(dir, key, all, configure, pluginPaths ?? [], pauses);
        harness.Harness = await harness.StartRuntimeAsync();
        return harness;
    }

    /// <summary>Stops the runtime and starts a new one over the same state (a host restart).</summary>
    public async Task RestartAsync()
    {
        await Harness.DisposeAsync();
        Harness = await StartRuntimeAsync();
    }

    /// <summary>
    /// A package of fixture <paramref name="id"/>: copied, its manifest version set, edited, then packed into a
    /// <c>.zip</c> (signed with <paramref name="key"/>, the trusted key by default; <c>sign: false</c> for none),
    /// or returned as the edited directory when <paramref name="zip"/> is false.
    /// </summary>
    public string Package(string id = "good-tool", string version = "1.0.0", bool sign = true, SigningKey? key = null,
        Action<string>? edit = null, bool zip = true)
    {
        var source = FixturePackage.Directory(Dir.Path, id, version, edit);
        if (zip)
        {
            return FixturePackage.Pack(source, sign ? key ?? Key : null);
        }

        if (sign)
        {
            PackageSigner.SignDirectory(source, key ?? Key);
        }

        return source;
    }

    /// <summary>Packs a directory as it is (a <c>plugin.sig</c> in it is carried along, not made).</summary>
    public static string Pack(string directory) => FixturePackage.Pack(directory);

    public Task<InstallOutcome> InstallAsync(string package, bool update = false, bool allowUnvetted = false, bool allowUnsigned = false,
        bool yes = false, bool link = false) =>
        Installer.InstallAsync(new InstallRequest(package, package)
        {
            Update = update,
            AllowUnvetted = allowUnvetted,
            AllowUnsigned = allowUnsigned,
            Yes = yes,
            Link = link,
        }, CancellationToken.None);

    public static void CopyTree(string from, string to) => FixturePackage.CopyTree(from, to);

    private Task<RuntimeHarness> StartRuntimeAsync() =>
        RuntimeHarness.StartAsync(_pluginPaths, _settings, configure: options =>
        {
            options.ManagedDirectory = Root;
            _configure?.Invoke(options);
        }, register: services =>
        {
            if (_pauses is not null)
            {
                services.AddSingleton(_pauses);
            }
        });

    public async ValueTask DisposeAsync()
    {
        await Harness.DisposeAsync();
        Key.Dispose();
        Dir.Dispose();
    }
}
