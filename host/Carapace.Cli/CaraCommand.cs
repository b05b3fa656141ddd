using System.CommandLine;
using Carapace.Cli.Commands;

namespace Carapace.Cli;

/// <summary>The `cara` command tree. Each verb lives in its own file under Commands/.</summary>
internal static class CaraCommand
{
    public static RootCommand Create()
    {
        var root = new RootCommand("Carapace: a security-first, local-first host for assistant extensions.");
        root.Subcommands.Add(StartCommand.Create());
        root.Subcommands.Add(StatusCommand.Create());
        root.Subcommands.Add(LogsCommand.Create());
        root.Subcommands.Add(AuditCommand.Create());
        root.Subcommands.Add(VersionCommand.Create());
        root.Subcommands.Add(ConfigCommand.Create());
        root.Subcommands.Add(CredentialsCommand.Create());
        root.Subcommands.Add(SandboxCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        var plugins = PluginPackageCommands.Create();
        PluginRuntimeCommands.AddTo(plugins);
        PluginInstallCommands.AddTo(plugins);
        root.Subcommands.Add(plugins);
        root.Subcommands.Add(ToolsCommand.Create());
        root.Subcommands.Add(ChannelsCommand.Create());
        return root;
    }
}
