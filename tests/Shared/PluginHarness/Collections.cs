namespace Carapace.Testing.PluginHarness;

/// <summary>
/// Tests that measure collection and memory, or touch process-wide state (Console), run alone:
/// other tests allocating in parallel would only add noise.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
