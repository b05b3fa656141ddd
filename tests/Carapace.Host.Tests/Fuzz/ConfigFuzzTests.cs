using Carapace.Host.Configuration;
using Carapace.Testing.Fuzz;

namespace Carapace.Host.Tests.Fuzz;

/// <summary>The YAML configuration loader and validator never crash: any input loads or fails with a located ConfigurationException.</summary>
public sealed class ConfigFuzzTests
{
    private static readonly string[] Seeds =
    [
        "gateway:\n  bind: loopback\n  port: 18789\n  auth:\n    mode: token\n    token: ${TOKEN}\n",
        "gateway:\n  rateLimit:\n    requestsPerSecond: 100\n    burst: 200\n  trustedProxies:\n    - 10.0.0.0/8\n    - 127.0.0.1\n  tls:\n    selfSigned: true\n",
        "logging:\n  level: Debug\n  ringBufferSize: 50\nplugins:\n  load:\n    paths: [a, b]\n",
        "gateway:\n  csrf:\n    allowedOrigins: [\"https://x.example\"]\n  limits:\n    maxBodyBytes: 4096\n",
    ];

    private static readonly Dictionary<string, string?> Environment = new() { ["TOKEN"] = "t", ["HOME"] = "/home/x" };

    [Fact]
    public void Loading_any_text_either_succeeds_or_fails_with_a_located_configuration_error() =>
        ParserFuzz.AssertOnlyExpectedFailures<ConfigurationException>(text =>
        {
            var config = CarapaceConfigLoader.LoadFromText(text, "carapace.yaml", null, Environment.GetValueOrDefault);
            foreach (var error in ConfigValidation.Validate(config))
            {
                Assert.False(string.IsNullOrWhiteSpace(error.Message));
            }
        }, Seeds, iterations: 3000);

    [Theory]
    [InlineData("[", "]")]
    [InlineData("{a: ", "}")]
    [InlineData("- ", "")]
    public void Deep_nesting_is_a_located_error_not_a_stack_overflow(string open, string close)
    {
        // YamlDotNet's node tree is built recursively: 20 000 levels used to overflow the stack and kill the process.
        var yaml = "a: " + string.Concat(Enumerable.Repeat(open, 20_000)) + string.Concat(Enumerable.Repeat(close, 20_000));
        if (open == "- ")
        {
            yaml = "a:\n" + string.Concat(Enumerable.Range(0, 2_000).Select(i => new string(' ', i + 1) + "-\n"));
        }

        var ex = Assert.Throws<ConfigurationException>(() => CarapaceConfigLoader.LoadFromText(yaml, "carapace.yaml", null, _ => null));

        Assert.Matches(@"^carapace\.yaml:\d+:\d+: invalid YAML: nesting deeper than 64 levels$", ex.Errors.Single().ToString());
    }

    [Theory]
    [InlineData("gateway:\n  trustedProxies: &p\n    - 10.0.0.1\n    - *p\n", "4:7", "p")]                  // a cycle: walked forever
    [InlineData("a: &v 42\nb: *v\n", "2:4", "v")]                                                        // harmless, still refused
    [InlineData("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\nl1: &l1 [*l0, *l0, *l0, *l0, *l0, *l0, *l0, *l0]\n", "2:10", "l0")]
    public void Aliases_are_refused_with_their_location(string yaml, string at, string alias)
    {
        // docs/config.md: aliases are refused. A cycle (&p [*p]) or nested aliases ("billion laughs") would
        // otherwise make the flattener walk forever or expand to billions of keys.
        var ex = Assert.Throws<ConfigurationException>(() => CarapaceConfigLoader.LoadFromText(yaml, "carapace.yaml", null, _ => null));

        Assert.Equal($"carapace.yaml:{at}: invalid YAML: YAML aliases (*{alias}) are not supported", ex.Errors.Single().ToString());
    }

    [Fact]
    public void Tags_are_not_interpreted()
    {
        var config = CarapaceConfigLoader.LoadFromText("a: !!int 5\nb: !custom x\n", "carapace.yaml", null, _ => null);

        Assert.Equal("5", config.Configuration["a"]);
        Assert.Equal("x", config.Configuration["b"]);
    }

    [Fact]
    public void Sixty_four_levels_are_fine()
    {
        var yaml = "a: " + new string('[', 60) + new string(']', 60);

        Assert.NotNull(CarapaceConfigLoader.LoadFromText(yaml, "carapace.yaml", null, _ => null));
    }

    [Fact]
    public void Every_seed_is_valid() =>
        Assert.All(Seeds, seed => Assert.Empty(ConfigValidation.Validate(
            CarapaceConfigLoader.LoadFromText(seed, "carapace.yaml", null, Environment.GetValueOrDefault))));
}
