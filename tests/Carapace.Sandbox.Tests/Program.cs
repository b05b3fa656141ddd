using System.Globalization;
using Carapace.Sandbox.Linux;

namespace Carapace.Sandbox.Tests;

/// <summary>
/// The test assembly's entry point. The test host never calls it; tests start this assembly as a second
/// process (<c>dotnet exec Carapace.Sandbox.Tests.dll uid-pool …</c>) when they need another broker process.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["uid-pool", var directory, var first, var count, var rents])
        {
            return UidPoolHelper(directory, uint.Parse(first, CultureInfo.InvariantCulture), uint.Parse(count, CultureInfo.InvariantCulture), int.Parse(rents, CultureInfo.InvariantCulture));
        }

        Console.Error.WriteLine("usage: uid-pool <directory> <first uid> <count> <rents>");
        return 2;
    }

    /// <summary>Rents uids, prints them, holds them until stdin closes, then returns them clean.</summary>
    private static int UidPoolHelper(string directory, uint first, uint count, int rents)
    {
        var pool = new RunUidPool(first, count, directory, sweep: _ => true);
        var held = new List<uint>();
        try
        {
            for (var i = 0; i < rents; i++)
            {
                held.Add(pool.Rent());
            }
        }
        catch (Carapace.Abstractions.Sandbox.SandboxUnavailableException e)
        {
            Console.Out.WriteLine("refused: " + e.Reason);
        }

        foreach (var uid in held)
        {
            Console.Out.WriteLine(uid.ToString(CultureInfo.InvariantCulture));
        }

        Console.Out.WriteLine("ready");
        Console.Out.Flush();
        Console.In.ReadToEnd();
        foreach (var uid in held)
        {
            pool.Return(uid, clean: true);
        }

        return 0;
    }
}
