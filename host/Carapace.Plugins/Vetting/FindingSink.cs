namespace Carapace.Plugins.Vetting;

/// <summary>Collects findings without duplicates, up to a cap (a large SDK can use a banned API in thousands of places).</summary>
internal sealed class FindingSink
{
    private readonly HashSet<(string, string, string?, string?, string?)> _seen = [];
    private readonly int _max;

    public FindingSink(int max) => _max = max;

    public List<VettingFinding> Findings { get; } = [];

    public bool Truncated { get; private set; }

    public void Add(VettingFinding finding)
    {
        if (!_seen.Add((finding.Code, finding.File, finding.Type, finding.Method, finding.Api)))
        {
            return;
        }

        if (Findings.Count >= _max)
        {
            Truncated = true;
            return;
        }

        Findings.Add(finding);
    }
}
