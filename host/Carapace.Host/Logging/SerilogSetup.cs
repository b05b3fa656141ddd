using Serilog;
using Serilog.Events;

namespace Carapace.Host.Logging;

/// <summary>
/// Builds the gateway's Serilog pipeline: console, a rolling file under the state dir, and the
/// in-memory ring buffer. The file sink is buffered and size-rolled: the unbuffered default costs
/// 0.2–0.4× throughput on this machine class and silently stops at 1 GB (docs/performance.md).
/// </summary>
internal static class SerilogSetup
{
    private const string ConsoleTemplate = "[{Timestamp:HH:mm:ss} {Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";
    private const string FileTemplate = "{Timestamp:o} [{Level:u3}] {SourceContext}: {Message:lj}{NewLine}{Exception}";

    public static Serilog.Core.Logger Create(LoggingSettings settings, LogRingBuffer ring, string? logDirectory, bool consoleToStderr)
    {
        var config = new LoggerConfiguration()
            .MinimumLevel.Is(settings.Level)
            .MinimumLevel.Override("Microsoft.AspNetCore", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Extensions.Hosting", LogEventLevel.Warning)
            // The base authentication handler logs every unauthenticated request at Information;
            // our handler logs failures itself, once, with the remote IP.
            .MinimumLevel.Override("Carapace.Host.Auth.ControlAuthenticationHandler", LogEventLevel.Warning)
            .Enrich.FromLogContext()
            .WriteTo.Sink(ring)
            .WriteTo.Console(
                outputTemplate: ConsoleTemplate,
                standardErrorFromLevel: consoleToStderr ? LogEventLevel.Verbose : null,
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);

        if (settings.FileEnabled && logDirectory is not null)
        {
            config = config.WriteTo.File(
                Path.Combine(logDirectory, "carapace-.log"),
                outputTemplate: FileTemplate,
                rollingInterval: RollingInterval.Day,
                fileSizeLimitBytes: 64L * 1024 * 1024,
                rollOnFileSizeLimit: true,
                retainedFileCountLimit: 7,
                buffered: true,
                flushToDiskInterval: TimeSpan.FromSeconds(1),
                hooks: new OwnerOnlyLogFiles(),
                formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        }

        return config.CreateLogger();
    }
}
