namespace Carapace.Plugins.Vetting;

/// <summary>
/// One banned use found in a package. <see cref="File"/> is the path relative to the package root;
/// <see cref="Type"/> and <see cref="Method"/> locate the using code (null for file-level findings);
/// <see cref="Api"/> names what is used. <see cref="Message"/> is one line for the operator, e.g.
/// <c>Tool.dll: Acme.EvilTool.Run() calls System.Diagnostics.Process.Start(ProcessStartInfo)</c>.
/// </summary>
internal sealed record VettingFinding(string Code, string File, string? Type, string? Method, string? Api, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The result of <see cref="PluginVetter.Vet"/>.</summary>
internal sealed record VettingReport(
    IReadOnlyList<VettingFinding> Findings,
    IReadOnlyList<string> ScannedAssemblies,
    bool Truncated)
{
    /// <summary>No findings: the package may be installed without <c>--allow-unvetted</c>.</summary>
    public bool IsClean => Findings.Count == 0;

    /// <summary>Finding counts per code, for the lock file and status output.</summary>
    public IReadOnlyDictionary<string, int> CountsByCode =>
        Findings.GroupBy(f => f.Code, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}
