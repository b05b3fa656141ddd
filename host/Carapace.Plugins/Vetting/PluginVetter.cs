using System.Reflection.PortableExecutable;
using Carapace.Plugins.Packaging;

namespace Carapace.Plugins.Vetting;

/// <summary>
/// Vets a package directory: every managed assembly is scanned for banned APIs with
/// System.Reflection.Metadata (never loaded into the process), and native code is reported.
/// Files are classified by their first bytes, not their names: PE files with .NET metadata are
/// scanned, PE files without it and ELF/Mach-O binaries are native libraries, files named
/// <c>.dll</c>/<c>.exe</c> that are not PE are unreadable assemblies; everything else (resources,
/// JSON, PDBs, <c>plugin.yaml</c>) is ignored. A malformed assembly is a finding, never a crash.
/// </summary>
internal static class PluginVetter
{
    /// <summary>Findings beyond this are dropped and <see cref="VettingReport.Truncated"/> is set.</summary>
    public const int MaxFindings = 1000;

    public static VettingReport Vet(string directory)
    {
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"'{directory}' is not a directory");
        }

        var sink = new FindingSink(MaxFindings);
        var scanned = new List<string>();
        foreach (var file in EnumerateFiles(root))
        {
            var relative = Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (VetFile(file, relative, sink))
            {
                scanned.Add(relative);
            }
        }

        return new VettingReport(sink.Findings, scanned, sink.Truncated);
    }

    /// <summary>Vets one file; returns true when it was scanned as a managed assembly.</summary>
    private static bool VetFile(string path, string relative, FindingSink sink)
    {
        if (UnixFileStatusReader.TryLstat(path) is { Type: not UnixFileType.Regular })
        {
            // Opening a FIFO would block; special files are refused by staging and directory safety.
            return false;
        }

        Span<byte> magic = stackalloc byte[4];
        int read;
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            read = probe.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            sink.Add(Finding(VettingCodes.UnreadableAssembly, relative, $"cannot be read: {ex.Message}"));
            return false;
        }

        var kind = NativeKind(magic[..read]);
        if (kind is not null)
        {
            sink.Add(Finding(VettingCodes.NativeLibrary, relative, $"is a native {kind}; native code cannot be vetted"));
            return false;
        }

        var isPe = read >= 2 && magic[0] == (byte)'M' && magic[1] == (byte)'Z';
        if (!isPe)
        {
            if (LooksLikeAssemblyName(relative))
            {
                sink.Add(Finding(VettingCodes.UnreadableAssembly, relative, "is named like an assembly but is not a PE file"));
            }

            return false;
        }

        return VetPortableExecutable(path, relative, sink);
    }

    private static bool VetPortableExecutable(string path, string relative, FindingSink sink)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            using var pe = new PEReader(stream, PEStreamOptions.PrefetchEntireImage);
            if (!pe.HasMetadata)
            {
                sink.Add(Finding(VettingCodes.NativeLibrary, relative, "is a native PE library (no .NET metadata); native code cannot be vetted"));
                return false;
            }

            var corHeader = pe.PEHeaders.CorHeader!;
            if ((corHeader.Flags & CorFlags.ILOnly) == 0)
            {
                sink.Add(Finding(VettingCodes.NativeCode, relative, "is a mixed-mode assembly with native code the IL scan cannot vet"));
            }

            if (corHeader.ManagedNativeHeaderDirectory.Size != 0)
            {
                // ReadyToRun code runs instead of the IL it was compiled from, and nothing checks that
                // the two agree: vetting the IL would vouch for code that never runs.
                sink.Add(Finding(VettingCodes.NativeCode, relative, "contains precompiled (ReadyToRun) native code the IL scan cannot vet; publish without ReadyToRun"));
            }

            AssemblyScanner.Scan(pe, relative, sink);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            sink.Add(Finding(VettingCodes.UnreadableAssembly, relative, $"cannot be read as a .NET assembly: {ex.Message}"));
            return false;
        }
    }

    private static string? NativeKind(ReadOnlySpan<byte> magic)
    {
        if (magic.Length < 4)
        {
            return null;
        }

        if (magic[0] == 0x7F && magic[1] == (byte)'E' && magic[2] == (byte)'L' && magic[3] == (byte)'F')
        {
            return "ELF binary";
        }

        var word = (uint)(magic[0] << 24 | magic[1] << 16 | magic[2] << 8 | magic[3]);
        return word switch
        {
            0xFEEDFACE or 0xFEEDFACF or 0xCEFAEDFE or 0xCFFAEDFE => "Mach-O binary",
            0xCAFEBABE or 0xBEBAFECA => "Mach-O universal binary",
            _ => null,
        };
    }

    private static bool LooksLikeAssemblyName(string path) =>
        path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".exe", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> EnumerateFiles(string root)
    {
        // Sorted for a stable report; links are not followed (a package holds none, and directory
        // safety refuses escaping ones in linked development directories).
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            AttributesToSkip = FileAttributes.ReparsePoint,
            IgnoreInaccessible = false,
            ReturnSpecialDirectories = false,
        };
        return Directory.EnumerateFiles(root, "*", options).Order(StringComparer.Ordinal);
    }

    private static VettingFinding Finding(string code, string file, string detail) =>
        new(code, file, null, null, null, $"{file}: {detail}");
}
