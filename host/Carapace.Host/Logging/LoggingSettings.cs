using Carapace.Host.Configuration;
using Serilog.Events;

namespace Carapace.Host.Logging;

/// <summary>The validated <c>logging.*</c> section.</summary>
/// <param name="Requests"><c>logging.requests</c>: one Information line per HTTP request (method, path, client, status, time).</param>
internal sealed record LoggingSettings(LogEventLevel Level, int RingBufferSize, bool FileEnabled, bool Requests = false)
{
    public static LoggingSettings Read(SettingsReader reader)
    {
        var raw = reader.String("logging:level", "Information");
        var level = LogEventLevel.Information;
        if (!TryParseLevel(raw, out level))
        {
            reader.Fail("logging:level", $"must be one of Verbose, Debug, Information, Warning, Error (got '{raw}')");
        }

        return new LoggingSettings(
            level,
            reader.Int("logging:ringBufferSize", LogRingBuffer.DefaultCapacity, 10, LogRingBuffer.MaxCapacity),
            reader.Bool("logging:file:enabled", true),
            reader.Bool("logging:requests", false));
    }

    private static bool TryParseLevel(string raw, out LogEventLevel level)
    {
        switch (raw.Trim().ToLowerInvariant())
        {
            case "trace" or "verbose":
                level = LogEventLevel.Verbose;
                return true;
            case "debug":
                level = LogEventLevel.Debug;
                return true;
            case "info" or "information":
                level = LogEventLevel.Information;
                return true;
            case "warn" or "warning":
                level = LogEventLevel.Warning;
                return true;
            case "error":
                level = LogEventLevel.Error;
                return true;
            default:
                level = LogEventLevel.Information;
                return false;
        }
    }
}
