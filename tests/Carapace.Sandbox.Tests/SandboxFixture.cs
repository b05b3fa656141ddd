using Carapace.Sandbox.Backends;
using Carapace.Sandbox.Configuration;
using Carapace.Sandbox.Linux;

namespace Carapace.Sandbox.Tests;

/// <summary>One real broker (real Landlock, seccomp and launcher) shared by the integration tests.</summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    internal RecordingSink Events { get; } = new();
    internal SandboxBroker Broker { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Broker = new SandboxBroker(new SandboxOptions(), Events, null, SandboxPlatform.Current);
        var selfTest = await Broker.EnsureSelfTestAsync();
        Assert.True(selfTest.Passed, "sandbox self-test: " + selfTest.Detail);
    }

    public async Task DisposeAsync() => await Broker.DisposeAsync();

    /// <summary>A request confined to the system roots plus <paramref name="extraReadOnly"/>.</summary>
    internal static SandboxRequest Request(string exe, params string[] args) => new()
    {
        Executable = exe,
        Arguments = args,
        ReadOnlyRoots = SandboxProfiles.SystemRoots.Where(Path.Exists).ToList(),
        Timeout = TimeSpan.FromSeconds(20),
    };

    internal static SandboxRequest Shell(string script) => Request("/bin/sh", "-c", script);

    internal static SandboxRequest Bash(string script) => Request("/bin/bash", "-c", script);

    internal static bool IsRoot => LinuxNative.GetEuid() == 0;
}

[CollectionDefinition(Name)]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>
{
    public const string Name = "sandbox";
}

internal sealed class RecordingSink : ISandboxEventSink
{
    private readonly List<object> _events = [];

    public IReadOnlyList<object> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public SandboxRunSummary? LastRun => Events.OfType<SandboxRunSummary>().LastOrDefault();

    public void RunRefused(SandboxRefusal refusal)
    {
        lock (_events)
        {
            _events.Add(refusal);
        }
    }

    public void ProfileDenied(string pluginId, string profile, string reason)
    {
        lock (_events)
        {
            _events.Add((pluginId, profile, reason));
        }
    }

    public void RunCompleted(SandboxRunSummary summary)
    {
        lock (_events)
        {
            _events.Add(summary);
        }
    }
}

/// <summary>A temp directory whose permissions let anyone in, so only the sandbox can keep a child out.</summary>
internal sealed class WorldDir : IDisposable
{
    public WorldDir(UnixFileMode mode = (UnixFileMode)0b111_101_101, string? parent = null)
    {
        Path = parent is null
            ? Directory.CreateTempSubdirectory("carapace-sbx-test-").FullName
            : Directory.CreateDirectory(System.IO.Path.Combine(parent, "carapace-sbx-test-" + Guid.NewGuid().ToString("N"))).FullName;
        System.IO.File.SetUnixFileMode(Path, mode);
    }

    public string Path { get; }

    public string File(string name, string content, UnixFileMode mode = (UnixFileMode)0b110_100_100)
    {
        var p = System.IO.Path.Combine(Path, name);
        System.IO.File.WriteAllText(p, content);
        System.IO.File.SetUnixFileMode(p, mode);
        return p;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class Poll
{
    /// <summary>Polls <paramref name="condition"/> until true or the deadline; never a fixed sleep.</summary>
    public static async Task<bool> UntilAsync(Func<bool> condition, TimeSpan deadline)
    {
        var stop = DateTime.UtcNow + deadline;
        while (DateTime.UtcNow < stop)
        {
            if (condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return condition();
    }
}
