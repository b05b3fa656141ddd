using Carapace.Host.Configuration;
using Carapace.Host.Gateway;
using Carapace.Testing;

namespace Carapace.Host.Tests.Configuration;

public sealed class ConfigLoaderTests
{
    private static readonly Func<string, string?> NoEnv = _ => null;

    private static LoadedConfiguration Load(string yaml, Func<string, string?>? env = null) =>
        CarapaceConfigLoader.LoadFromText(yaml, "/etc/carapace.yaml", null, env ?? NoEnv);

    [Fact]
    public void Built_in_defaults_apply_without_a_file()
    {
        var config = CarapaceConfigLoader.LoadFromText(null, null, null, NoEnv);

        Assert.Equal("18789", config.Configuration["gateway:port"]);
        Assert.Equal("loopback", config.Configuration["gateway:bind"]);
        Assert.Equal("true", config.Configuration["gateway:control:enabled"]);
        Assert.Equal("(built-in defaults)", config.SourceDescription);
    }

    [Fact]
    public void User_file_overrides_defaults_and_keeps_the_rest()
    {
        var config = Load("gateway:\n  port: 19000\n");

        Assert.Equal("19000", config.Configuration["gateway:port"]);
        Assert.Equal("loopback", config.Configuration["gateway:bind"]);
    }

    [Fact]
    public void A_list_in_the_user_file_replaces_the_default_list()
    {
        var defaults = CarapaceConfigLoader.LoadFromText("plugins:\n  load:\n    paths: [/a, /b, /c]\n", "d", null, NoEnv);
        Assert.Equal("/c", defaults.Configuration["plugins:load:paths:2"]);

        var config = Load("plugins:\n  load:\n    paths: [/only]\n");

        Assert.Equal("/only", config.Configuration["plugins:load:paths:0"]);
        Assert.Null(config.Configuration["plugins:load:paths:1"]);
    }

    [Fact]
    public void Yaml_syntax_error_names_file_line_and_column()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load("gateway:\n  port: 1\n bind: [oops\n"));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("/etc/carapace.yaml", error.Source);
        Assert.NotNull(error.Line);
        Assert.NotNull(error.Column);
        Assert.StartsWith("/etc/carapace.yaml:", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("invalid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_keys_are_an_error_with_a_location()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load("gateway:\n  port: 1\n  port: 2\n"));

        Assert.NotNull(Assert.Single(ex.Errors).Line);
    }

    [Fact]
    public void Top_level_must_be_a_mapping()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load("- a\n- b\n"));

        Assert.Contains("top level must be a mapping", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Environment_variables_are_substituted()
    {
        var config = Load("gateway:\n  auth:\n    token: ${MY_TOKEN}\n", k => k == "MY_TOKEN" ? "abc" : null);

        Assert.Equal("abc", config.Configuration["gateway:auth:token"]);
    }

    [Fact]
    public void Missing_environment_variable_is_an_error_naming_it_and_the_key()
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load("gateway:\n  auth:\n    token: pre-${NOT_SET_VAR}\n"));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("gateway.auth.token", error.Key);
        Assert.Contains("NOT_SET_VAR", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void Double_dollar_escapes_a_reference()
    {
        var config = Load("logging:\n  level: \"$${NOT_SET}\"\n");

        Assert.Equal("${NOT_SET}", config.Configuration["logging:level"]);
    }

    [Fact]
    public void Lower_case_variable_names_are_substituted_too()
    {
        var config = Load("gateway:\n  auth:\n    token: ${my_token}-${_X1}\n", k => k switch { "my_token" => "abc", "_X1" => "z", _ => null });

        Assert.Equal("abc-z", config.Configuration["gateway:auth:token"]);
    }

    [Theory]
    [InlineData("${my-token}", "'${my-token}', which is not a valid environment variable name")]
    [InlineData("${1ST}", "'${1ST}', which is not a valid environment variable name")]
    [InlineData("${}", "'${}', which is not a valid environment variable name")]
    [InlineData("${ TOKEN }", "'${ TOKEN }', which is not a valid environment variable name")]
    [InlineData("pre-${TOKEN", "unterminated '${'")]
    public void A_reference_that_cannot_be_substituted_is_an_error_naming_it(string value, string expected)
    {
        var ex = Assert.Throws<ConfigurationException>(() => Load($"gateway:\n  auth:\n    token: \"{value}\"\n", _ => "set"));

        var error = Assert.Single(ex.Errors);
        Assert.Equal("gateway.auth.token", error.Key);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void Double_dollar_escapes_any_brace_text()
    {
        var config = Load("logging:\n  level: \"$${my-var} costs $5\"\n");

        Assert.Equal("${my-var} costs $5", config.Configuration["logging:level"]);
    }

    [Theory]
    [InlineData("network:\n  allowPrivate: [10.0.0.1/8]\n", "network.allowPrivate.0", 2, "'10.0.0.1/8': host bits set (did you mean 10.0.0.0/8?)")]
    [InlineData("network:\n  timeoutSeconds: soon\n", "network.timeoutSeconds", 2, "cannot be read as a whole number (got 'soon')")]
    [InlineData("network:\n  timeoutSeconds: 400\n", "network.timeoutSeconds", 2, "must be positive and at most network.maxTimeoutSeconds (300)")]
    [InlineData("sandbox:\n  profiles:\n    default:\n      network: wide\n", "sandbox.profiles.default.network", 4, "'wide' is not 'none' or 'ports'")]
    [InlineData("plugins:\n  runtime:\n    toolTimeoutSeconds: -1\n", "plugins.runtime.toolTimeoutSeconds", 3, "must be a number of seconds in (0, 86400]")]
    [InlineData("credentials:\n  backend: plaintext-file\n", "credentials.backend", 2, "must be one of auto, secret-service, encrypted-file, env-only")]
    [InlineData("credentials:\n  values:\n    apiKey: sk-1\n", "credentials.values.apiKey", 3, "Secrets are never read from carapace.yaml")]
    public void Sections_checked_at_start_are_checked_by_validate_with_key_and_line(string yaml, string key, int line, string expected)
    {
        var errors = ConfigValidation.Validate(Load(yaml));

        var error = Assert.Single(errors);
        Assert.Equal(key, error.Key);
        Assert.Equal(line, error.Line);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        var thrown = Assert.Throws<ConfigurationException>(() => ConfigValidation.Read(Load(yaml)));
        Assert.Equal(error.ToString(), Assert.Single(thrown.Errors).ToString());
    }

    [Fact]
    public void A_credentials_backend_this_OS_does_not_have_is_refused_by_validation()
    {
        var foreign = new[] { "macos-keychain", "windows-credential-manager" }
            .Where(b => !(b == "macos-keychain" && OperatingSystem.IsMacOS()) && !(b == "windows-credential-manager" && OperatingSystem.IsWindows()))
            .ToArray();
        Assert.NotEmpty(foreign);

        foreach (var backend in foreign)
        {
            var yaml = $"credentials:\n  backend: {backend}\n";
            var error = Assert.Single(ConfigValidation.Validate(Load(yaml)));
            Assert.Equal("credentials.backend", error.Key);
            Assert.Equal(2, error.Line);
            Assert.Contains("is only available on", error.Message, StringComparison.Ordinal);
            Assert.Throws<ConfigurationException>(() => ConfigValidation.Read(Load(yaml)));
        }

        var native = OperatingSystem.IsMacOS() ? "macos-keychain" : OperatingSystem.IsWindows() ? "windows-credential-manager" : "secret-service";
        Assert.Empty(ConfigValidation.Validate(Load($"credentials:\n  backend: {native}\n")));
    }

    [Fact]
    public void Invalid_values_name_the_key_and_line()
    {
        var config = Load("gateway:\n  bind: loopback\n  port: seventy\nlogging:\n  level: chatty\n");
        var errors = ConfigValidation.Validate(config);

        Assert.Contains(errors, e => e.Key == "gateway.port" && e.Line == 3 && e.Message.Contains("whole number", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Key == "logging.level" && e.Line == 5);
    }

    [Fact]
    public void Out_of_range_port_is_rejected()
    {
        var errors = ConfigValidation.Validate(Load("gateway:\n  port: 70000\n"));

        Assert.Contains("between 0 and 65535", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_auth_mode_uses_the_upstream_message()
    {
        var errors = ConfigValidation.Validate(Load("gateway:\n  auth:\n    mode: magic\n"));

        Assert.Equal("unknown gateway auth mode 'magic'; expected one of: none, local, token, password", Assert.Single(errors).Message);
    }

    [Fact]
    public void Unknown_top_level_sections_are_reported_as_warnings()
    {
        var config = Load("gatway:\n  port: 1\n");

        var warning = Assert.Single(CarapaceConfigLoader.UnknownSections(config));
        Assert.Equal("gatway", warning.Key);
        Assert.Equal(2, warning.Line); // the first value set under the section
    }

    [Fact]
    public void Explicitly_named_missing_file_is_an_error()
    {
        using var dir = new TempDirectory();
        var location = new ConfigLocation(Path.Combine(dir.Path, "missing.yaml"), Explicit: true, "--config");

        var ex = Assert.Throws<ConfigurationException>(() => CarapaceConfigLoader.Load(location, NoEnv));

        Assert.Contains("not found", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void File_hash_is_the_sha256_of_its_bytes()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "carapace.yaml");
        File.WriteAllText(path, "gateway:\n  port: 1234\n");

        var config = CarapaceConfigLoader.Load(new ConfigLocation(path, true, "test"), NoEnv);

        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))), config.FileSha256);
        Assert.Equal(1234, GatewaySettingsReader.Read(new SettingsReader(config)).Port);
    }

    [Fact]
    public void Non_utf8_file_is_rejected_clearly()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "carapace.yaml");
        File.WriteAllBytes(path, [0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]);

        var ex = Assert.Throws<ConfigurationException>(() => CarapaceConfigLoader.Load(new ConfigLocation(path, true, "test"), NoEnv));

        Assert.Contains("not valid UTF-8", ex.Message, StringComparison.Ordinal);
    }
}
