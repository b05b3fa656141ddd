using System.Net;
using Carapace.Host.Configuration;
using Carapace.Host.Gateway;

namespace Carapace.Host.Tests.Gateway;

public sealed class GatewaySettingsReaderTests
{
    private static SettingsReader Reader(string yaml) =>
        new(CarapaceConfigLoader.LoadFromText(yaml, "carapace.yaml", null, _ => null));

    [Fact]
    public void File_values_apply_without_flags()
    {
        var reader = Reader("gateway:\n  port: 19000\n  bind: lan\n");

        var settings = GatewaySettingsReader.Read(reader);

        Assert.Empty(reader.Errors);
        Assert.Equal(19000, settings.Port);
        Assert.Equal(IPAddress.Any, settings.BindAddress);
        Assert.False(settings.IsLoopbackOnly);
    }

    [Fact]
    public void Port_and_bind_flags_win_over_the_file()
    {
        var reader = Reader("gateway:\n  port: 19000\n  bind: lan\n");

        var settings = GatewaySettingsReader.Read(reader, bindOverride: "loopback", portOverride: 19001);

        Assert.Empty(reader.Errors);
        Assert.Equal(19001, settings.Port);
        Assert.Equal(IPAddress.Loopback, settings.BindAddress);
        Assert.Equal("loopback", settings.BindText);
    }

    [Fact]
    public void Bind_flag_beyond_loopback_wins_over_a_loopback_file()
    {
        var settings = GatewaySettingsReader.Read(Reader("gateway:\n  bind: loopback\n"), bindOverride: "192.0.2.7");

        Assert.Equal(IPAddress.Parse("192.0.2.7"), settings.BindAddress);
        Assert.False(settings.IsLoopbackOnly);
    }

    [Fact]
    public void Port_flag_zero_picks_a_free_port_even_when_the_file_names_one()
    {
        Assert.Equal(0, GatewaySettingsReader.Read(Reader("gateway:\n  port: 19000\n"), portOverride: 0).Port);
    }

    [Fact]
    public void A_bind_flag_replaces_an_invalid_file_value_without_an_error()
    {
        var reader = Reader("gateway:\n  bind: moon\n");

        var settings = GatewaySettingsReader.Read(reader, bindOverride: "loopback");

        Assert.Empty(reader.Errors);
        Assert.Equal(IPAddress.Loopback, settings.BindAddress);
    }

    [Theory]
    [InlineData("moon", null, "--bind: must be loopback, lan, all or an IP address (got 'moon')")]
    [InlineData(null, 65536, "--port: must be between 0 and 65535 (got 65536)")]
    [InlineData(null, -1, "--port: must be between 0 and 65535 (got -1)")]
    public void Invalid_flags_are_errors_naming_the_flag(string? bind, int? port, string expected)
    {
        var ex = Assert.Throws<ConfigurationException>(() => GatewaySettingsReader.Read(Reader("gateway: {}\n"), bind, port));

        Assert.Equal(expected, Assert.Single(ex.Errors).ToString());
    }
}
