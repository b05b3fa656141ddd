using Carapace.Plugins.Activation;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Tests.Activation;

public sealed class PluginLoggerFactoryTests
{
    [Fact]
    public void Plugin_log_state_reaches_host_sinks_only_as_strings_and_scalars()
    {
        var sink = new StateCapture();
        using var host = LoggerFactory.Create(b => b.AddProvider(sink));
        var factory = new PluginLoggerFactory(host, "demo");
        var logger = factory.CreateLogger("Demo.Tool");

        logger.LogWarning(new InvalidOperationException("boom"), "value {Thing} count {Count}", new PluginObject(), 3);

        var (category, values, exception, message) = Assert.Single(sink.Entries);
        Assert.Equal("Plugin.demo.Demo.Tool", category);
        Assert.Null(exception);
        Assert.Contains("value plugin-object count 3", message, StringComparison.Ordinal);
        Assert.Contains("boom", message, StringComparison.Ordinal);
        Assert.Equal("plugin-object", values.Single(v => v.Key == "Thing").Value);
        Assert.Equal(3, values.Single(v => v.Key == "Count").Value);
        Assert.All(values, v => Assert.True(v.Value is null || v.Value.GetType().Assembly == typeof(object).Assembly));
    }

    [Fact]
    public void Plugins_cannot_add_logging_providers()
    {
        using var host = LoggerFactory.Create(_ => { });
        var factory = new PluginLoggerFactory(host, "demo");

        Assert.Throws<NotSupportedException>(() => factory.AddProvider(new StateCapture()));
    }

    private sealed class PluginObject
    {
        public override string ToString() => "plugin-object";
    }

    private sealed class StateCapture : ILoggerProvider
    {
        public List<(string Category, List<KeyValuePair<string, object?>> Values, Exception? Exception, string Message)> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(StateCapture owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Add((category, ((IEnumerable<KeyValuePair<string, object?>>)state!).ToList(), exception, formatter(state, exception)));
        }
    }
}
