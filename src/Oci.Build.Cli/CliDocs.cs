using System.CommandLine;
using System.CommandLine.Help;
using System.Text;

namespace Oci.Build.Cli;

/// <summary>
/// Usage lines and docs/cli.md, both from the System.CommandLine tree, so the reference cannot drift from the parser
/// (tests/Oci.Build.Tests/Docs/CliDocsTests.cs fails when the committed page is stale).
/// </summary>
public static class CliDocs
{
    /// <summary><c>dotnet oci</c> for the root, <c>dotnet oci verify</c> for a command (the root's own name is the executable's).</summary>
    public static string FullName(Command command) =>
        command is RootCommand ? "dotnet oci" : $"{(command.Parents.OfType<Command>().FirstOrDefault() is { } parent ? FullName(parent) : "dotnet oci")} {command.Name}";

    /// <summary>One line: the command, its arguments and required options, then <c>[options]</c>.</summary>
    public static string Synopsis(Command command)
    {
        var parts = new List<string> { FullName(command) };
        if (command.Subcommands.Count > 0) parts.Add("COMMAND");
        foreach (var argument in command.Arguments.Where(a => !a.Hidden))
        {
            var name = ArgumentName(argument);
            if (argument.Arity.MaximumNumberOfValues > 1) name += "...";
            parts.Add(argument.Arity.MinimumNumberOfValues == 0 ? $"[{name}]" : name);
        }
        foreach (var option in Visible(command).Where(o => o.Required))
            parts.Add(option.Arity.MaximumNumberOfValues > 1 ? $"{option.Name} {ValueName(option)} [{option.Name} ...]" : $"{option.Name} {ValueName(option)}");
        if (Visible(command).Any(o => !o.Required)) parts.Add("[options]");
        return string.Join(' ', parts);
    }

    /// <summary>docs/cli.md.</summary>
    public static string Generate(RootCommand root)
    {
        var text = new StringBuilder();
        text.AppendLine("# `dotnet oci` command reference");
        text.AppendLine();
        text.AppendLine("<!-- Generated from the System.CommandLine tree (src/Oci.Build.Cli/CliDocs.cs); OCI_UPDATE_DOCS=1 with tests/Oci.Build.Tests/Docs/CliDocsTests.cs rewrites it. Do not edit. -->");
        text.AppendLine();
        text.AppendLine(root.Description);
        text.AppendLine("Install it with `dotnet tool install Oci.Build.Cli` (command `dotnet oci`); `dotnet oci COMMAND --help` shows the same reference.");
        text.AppendLine();
        text.AppendLine("## Conventions");
        text.AppendLine();
        text.AppendLine("- **stdout** carries only a command's result; progress, informational lines, warnings and errors go to **stderr**, so `dotnet oci ... > result` captures the result alone.");
        text.AppendLine("- `--json` (on every command that prints a result): the result as one JSON document on stdout, for scripts.");
        text.AppendLine("- `--quiet`, `-q`: no progress and no informational lines; results, warnings and errors are still written.");
        text.AppendLine("- Progress of long transfers (bytes, rate, time left) is a bar redrawn in place when stderr is a terminal, and a plain line every " +
                        $"{ConsoleProgress.PlainInterval.TotalSeconds:0} seconds plus a closing summary when it is redirected (CI logs).");
        text.AppendLine("- Errors are one line, `error OCIxxxx: message`, with a stable code explained in [errors.md](errors.md).");
        text.AppendLine("- Locations are written as skopeo writes them: `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`, `docker://HOST/REPO[:TAG|@DIGEST]`; a bare path is a layout folder.");
        text.AppendLine("- `@FILE` reads further arguments from a response file; `dotnet oci help COMMAND` is `dotnet oci COMMAND --help`.");
        text.AppendLine();
        text.AppendLine("## Exit codes");
        text.AppendLine();
        text.AppendLine("| Code | Meaning |");
        text.AppendLine("|---|---|");
        foreach (var (code, meaning) in ExitCodes.All) text.AppendLine($"| {code} | {meaning} |");
        text.AppendLine();
        text.AppendLine("## Commands");
        text.AppendLine();
        text.AppendLine("| Command | What it does |");
        text.AppendLine("|---|---|");
        foreach (var command in Commands(root)) text.AppendLine($"| [`{command.Name}`](#{Anchor(command)}) | {Cell(command.Description)} |");
        foreach (var command in Commands(root))
        {
            text.AppendLine();
            text.AppendLine($"## {FullName(command)}");
            text.AppendLine();
            text.AppendLine(command.Description);
            text.AppendLine();
            text.AppendLine("```");
            text.AppendLine(Synopsis(command));
            text.AppendLine("```");
            var arguments = command.Arguments.Where(a => !a.Hidden).ToList();
            if (arguments.Count > 0)
            {
                text.AppendLine();
                text.AppendLine("| Argument | Description |");
                text.AppendLine("|---|---|");
                foreach (var argument in arguments) text.AppendLine($"| `{ArgumentName(argument)}` | {Cell(argument.Description)} |");
            }
            var options = Visible(command).ToList();
            if (options.Count > 0)
            {
                text.AppendLine();
                text.AppendLine("| Option | Description |");
                text.AppendLine("|---|---|");
                foreach (var option in options) text.AppendLine($"| {OptionLabel(option)} | {Cell(OptionDescription(option))} |");
            }
        }
        return text.ToString();
    }

    private static IEnumerable<Command> Commands(Command command) =>
        command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Subcommands.Count > 0 ? Commands(c).Prepend(c) : [c]);

    private static IEnumerable<Option> Visible(Command command) => command.Options.Where(o => !o.Hidden && o is not HelpOption && o is not VersionOption);

    private static string ArgumentName(Argument argument) => argument.HelpName ?? argument.Name.ToUpperInvariant();

    private static string ValueName(Option option) => option.HelpName ?? "VALUE";

    private static string OptionLabel(Option option)
    {
        var names = string.Join(", ", option.Aliases.OrderBy(a => a.Length).Append(option.Name).Distinct().OrderBy(a => a.StartsWith("--", StringComparison.Ordinal)).Select(a => $"`{a}`"));
        return option.ValueType == typeof(bool) || option.Arity.MaximumNumberOfValues == 0 ? names : $"{names} `{ValueName(option)}`";
    }

    private static string OptionDescription(Option option)
    {
        var description = option.Description ?? "";
        if (option.Required) description += " Required.";
        if (option.HasDefaultValue && option.ValueType != typeof(bool)) description += $" Default: `{option.GetDefaultValue()}`.";
        if (option.Arity.MaximumNumberOfValues > 1) description += " Repeatable.";
        return description.Trim();
    }

    private static string Anchor(Command command) => FullName(command).Replace(' ', '-');

    private static string Cell(string? text) => (text ?? "").Replace("|", "\\|").Replace("\n", " ");
}
