using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Carapace.Plugins.Runtime;

/// <summary>
/// Runtime settings. Read from <c>plugins:*</c> (<see cref="FromConfiguration"/>); the bundled
/// plugin directory is passed in by the host because only it knows where it was installed.
/// </summary>
internal sealed class PluginRuntimeOptions
{
    /// <summary><c>plugins:enabled</c>: false keeps every plugin disabled.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>plugins:watch</c>: reload a plugin when files in its folder change.</summary>
    public bool Watch { get; set; }

    /// <summary><c>plugins:load:paths</c>: folders that are a plugin or contain plugin folders.</summary>
    public IList<string> LoadPaths { get; } = new List<string>();

    /// <summary>Folder with the first-party plugins (<c>&lt;app&gt;/plugins</c>); null for none.</summary>
    public string? BundledDirectory { get; set; }

    /// <summary>
    /// Root of the managed plugins (<c>&lt;state&gt;/plugins</c>: the lock file and the installed copies);
    /// null for none (install is then unavailable). Passed in by the host, which owns the state directory.
    /// </summary>
    public string? ManagedDirectory { get; set; }

    /// <summary><c>plugins:runtime:toolTimeoutSeconds</c>: per-call timeout (default 30 s).</summary>
    public TimeSpan ToolTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>plugins:runtime:drainTimeoutSeconds</c>: how long unload waits for calls in flight before cancelling them.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>plugins:runtime:stopTimeoutSeconds</c>: how long unload waits for cancelled work (channel loops, calls) to end.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>plugins:runtime:unloadGcIterations</c>: bound of the verification GC loop.</summary>
    public int UnloadGcIterations { get; set; } = 10;

    /// <summary><c>plugins:runtime:channelRestartDelayMs</c>: first back-off after a channel loop crash (doubles each time).</summary>
    public TimeSpan ChannelRestartDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary><c>plugins:runtime:channelMaxRestartDelaySeconds</c>: cap of the back-off.</summary>
    public TimeSpan ChannelMaxRestartDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>plugins:runtime:channelMaxRestarts</c>: consecutive crashes after which a channel is marked <c>error</c>.</summary>
    public int ChannelMaxRestarts { get; set; } = 5;

    /// <summary>A loop that ran this long before crashing resets the crash count.</summary>
    public TimeSpan ChannelStableAfter { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary><c>plugins:runtime:watchDebounceMs</c>: quiet time after the last file change before a reload.</summary>
    public TimeSpan WatchDebounce { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary><c>plugins:runtime:faultAfter</c>: consecutive tool failures/timeouts after which the plugin is
    /// deactivated as <c>faulted</c>; 0 disables the rule.</summary>
    public int FaultAfter { get; set; }

    /// <exception cref="PluginOptionsException">A setting has an unusable value.</exception>
    public static PluginRuntimeOptions FromConfiguration(IConfiguration configuration, string? bundledDirectory = null)
    {
        var plugins = configuration.GetSection("plugins");
        var runtime = plugins.GetSection("runtime");
        var options = new PluginRuntimeOptions
        {
            Enabled = Bool(plugins, "enabled", true),
            Watch = Bool(plugins, "watch", false),
            BundledDirectory = bundledDirectory,
        };
        var paths = plugins.GetSection("load:paths");
        var values = paths.GetChildren().Select(c => c.Value).OfType<string>().ToList();
        if (values.Count == 0 && !string.IsNullOrWhiteSpace(paths.Value))
        {
            // A single path written as a scalar (`paths: ./my-plugin`) instead of a list.
            values.Add(paths.Value);
        }

        foreach (var path in values)
        {
            if (!string.IsNullOrWhiteSpace(path))
            {
                options.LoadPaths.Add(path);
            }
        }

        options.ToolTimeout = Seconds(runtime, "toolTimeoutSeconds", options.ToolTimeout);
        options.DrainTimeout = Seconds(runtime, "drainTimeoutSeconds", options.DrainTimeout);
        options.StopTimeout = Seconds(runtime, "stopTimeoutSeconds", options.StopTimeout);
        options.UnloadGcIterations = Int(runtime, "unloadGcIterations", options.UnloadGcIterations, 1);
        options.ChannelRestartDelay = Millis(runtime, "channelRestartDelayMs", options.ChannelRestartDelay);
        options.ChannelMaxRestartDelay = Seconds(runtime, "channelMaxRestartDelaySeconds", options.ChannelMaxRestartDelay);
        options.ChannelMaxRestarts = Int(runtime, "channelMaxRestarts", options.ChannelMaxRestarts, 0);
        options.WatchDebounce = Millis(runtime, "watchDebounceMs", options.WatchDebounce);
        options.FaultAfter = Int(runtime, "faultAfter", options.FaultAfter, 0);
        return options;
    }

    private static bool Bool(IConfiguration section, string key, bool fallback)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return bool.TryParse(text, out var value)
            ? value
            : throw new PluginOptionsException($"plugins.{key}", $"must be true or false, not '{text}'");
    }

    private static int Int(IConfiguration section, string key, int fallback, int min)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min
            ? value
            : throw new PluginOptionsException($"plugins.runtime.{key}", $"must be an integer >= {min}, not '{text}'");
    }

    private static TimeSpan Seconds(IConfiguration section, string key, TimeSpan fallback)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= 86400
            ? TimeSpan.FromSeconds(value)
            : throw new PluginOptionsException($"plugins.runtime.{key}", $"must be a number of seconds in (0, 86400], not '{text}'");
    }

    private static TimeSpan Millis(IConfiguration section, string key, TimeSpan fallback)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0 && value <= 3_600_000
            ? TimeSpan.FromMilliseconds(value)
            : throw new PluginOptionsException($"plugins.runtime.{key}", $"must be a number of milliseconds in [0, 3600000], not '{text}'");
    }
}
