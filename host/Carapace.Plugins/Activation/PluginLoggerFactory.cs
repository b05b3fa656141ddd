using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Carapace.Plugins.Activation;

/// <summary>
/// The <see cref="ILoggerFactory"/> a plugin sees. It forwards to the host's factory under the
/// category <c>Plugin.&lt;id&gt;.&lt;category&gt;</c>, but only ever hands the host's sinks strings
/// and primitive values: log properties, scopes and exceptions from the plugin are flattened first.
/// A structured sink that kept a plugin object (an in-memory ring buffer of log events does) would
/// otherwise keep the plugin's load context alive forever. Plugins cannot add providers.
/// </summary>
internal sealed class PluginLoggerFactory(ILoggerFactory host, string pluginId) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) =>
        new PluginLogger(host.CreateLogger($"Plugin.{pluginId}.{categoryName}"));

    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("plugins cannot add logging providers; log through ILogger");

    public void Dispose()
    {
        // The host owns the inner factory.
    }

    private sealed class PluginLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull =>
            inner.BeginScope(Flatten(state));

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception);
            if (exception is not null)
            {
                message = message + Environment.NewLine + exception;
            }

            var flat = new FlatState(message, Flatten(state));
            inner.Log(logLevel, new EventId(eventId.Id, eventId.Name), flat, null, static (s, _) => s.Message);
        }

        private static List<KeyValuePair<string, object?>> Flatten<TState>(TState state)
        {
            var list = new List<KeyValuePair<string, object?>>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (var (key, value) in pairs)
                {
                    list.Add(new(key, Scalar(value)));
                }
            }
            else if (state is not null)
            {
                list.Add(new("Scope", Scalar(state)));
            }

            return list;
        }

        /// <summary>Keeps framework scalars; anything else becomes its string form.</summary>
        private static object? Scalar(object? value) => value switch
        {
            null or string or bool or char or byte or sbyte or short or ushort or int or uint or long or ulong
                or float or double or decimal or DateTime or DateTimeOffset or TimeSpan or Guid => value,
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }

    /// <summary>Log state made only of strings and framework scalars.</summary>
    private sealed class FlatState(string message, List<KeyValuePair<string, object?>> values) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        public string Message { get; } = message;

        public int Count => values.Count;

        public KeyValuePair<string, object?> this[int index] => values[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => values.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => Message;
    }
}
