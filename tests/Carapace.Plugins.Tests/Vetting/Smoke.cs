using Carapace.Plugins.Vetting;
namespace Carapace.Plugins.Tests.Vetting;
public class SmokeVet
{
    [Fact]
    public void Print()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "VettingFixtures");
        var r = PluginVetter.Vet(dir);
        foreach (var f in r.Findings) Console.WriteLine(f);
        Assert.Fail(string.Join("\n", r.Findings.Select(f => f.ToString())) + "\n" + string.Join(",", r.ScannedAssemblies));
    }
}
