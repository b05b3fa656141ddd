using System.Net;
using Carapace.Host.Audit;
using Carapace.Host.Outbound;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NSubstitute;

namespace Carapace.Host.Tests.Outbound;

public sealed class OutboundRegistrationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> config, ListLogger? logger = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            if (logger is not null)
            {
                b.AddProvider(logger);
            }
        });
        services.AddSingleton(Substitute.For<IAuditLog>());
        services.AddCarapaceOutbound(new ConfigurationBuilder().AddInMemoryCollection(config).Build());
        return services.BuildServiceProvider(validateScopes: true);
    }

    [Fact]
    public async Task AddCarapaceOutbound_binds_network_section_and_logs_allow_private_at_start()
    {
        var logger = new ListLogger();
        await using var provider = Build(
            new()
            {
                ["network:allowPrivate:0"] = "192.168.1.0/24",
                ["network:allowPrivate:1"] = "fd00::5",
                ["network:pluginRequestsPerMinute"] = "20",
            },
            logger);

        var policy = provider.GetRequiredService<AddressPolicy>();
        Assert.True(policy.IsAllowed(IPAddress.Parse("192.168.1.9")));
        Assert.True(policy.IsAllowed(IPAddress.Parse("fd00::5")));
        Assert.False(policy.IsAllowed(IPAddress.Parse("192.168.2.9")));
        Assert.Equal(20, provider.GetRequiredService<IOptions<OutboundOptions>>().Value.PluginRequestsPerMinute);
        Assert.NotNull(provider.GetRequiredService<PluginHttpFactory>().Create("p", ["https://api.example.com"]));
        Assert.NotNull(provider.GetRequiredService<SafeHttp>());

        foreach (var hosted in provider.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        Assert.Contains(logger.Messages, m => m.Level == LogLevel.Warning && m.Text.Contains("192.168.1.0/24", StringComparison.Ordinal));
        Assert.Contains(logger.Messages, m => m.Level == LogLevel.Warning && m.Text.Contains("fd00::5/128", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Defaults_are_30_seconds_10_MiB_and_100_per_minute_with_no_exceptions()
    {
        await using var provider = Build([]);
        var options = provider.GetRequiredService<IOptions<OutboundOptions>>().Value;
        Assert.Equal(30, options.TimeoutSeconds);
        Assert.Equal(10 * 1024 * 1024, options.MaxResponseBytes);
        Assert.Equal(10 * 1024 * 1024, options.MaxRequestBytes);
        Assert.Equal(100, options.PluginRequestsPerMinute);
        Assert.Empty(provider.GetRequiredService<AddressPolicy>().AllowPrivate);
    }

    [Fact]
    public async Task Invalid_allow_private_entry_fails_validation_at_start()
    {
        await using var provider = Build(new() { ["network:allowPrivate:0"] = "10.0.0.1/8" });
        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<OutboundOptions>>().Value);
        Assert.Contains("host bits set", ex.Message, StringComparison.Ordinal);

        // The host's ValidateOnStart hook runs the same validation when the host starts.
        var startValidator = provider.GetRequiredService<IStartupValidator>();
        Assert.Throws<OptionsValidationException>(startValidator.Validate);
    }

    internal sealed class ListLogger : ILoggerProvider, ILogger
    {
        public List<(LogLevel Level, string Text)> Messages { get; } = [];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add((logLevel, formatter(state, exception)));
            }
        }

        public void Dispose()
        {
        }
    }
}
