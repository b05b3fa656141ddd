using System.CommandLine;
using System.Runtime.InteropServices;
using Carapace.Host.Gateway;

namespace Carapace.Cli.Commands;

/// <summary>`cara version`.</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the version of cara");
        CommandAction.Set(command, (_, _) =>
        {
            Console.WriteLine($"cara {CarapaceVersion.Current}");
            Console.WriteLine($"  Runtime:    {RuntimeInformation.FrameworkDescription}");
            Console.WriteLine($"  Platform:   {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()})");
            return Task.FromResult(CliExit.Ok);
        });
        return command;
    }
}
