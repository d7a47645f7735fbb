using Oci.Build.Cli;
using Oci.Build.Tests.Infrastructure;

namespace Oci.Build.Tests.Docs;

/// <summary>
/// docs/cli.md is generated from the System.CommandLine tree of `dotnet oci`. Run with OCI_UPDATE_DOCS=1 to rewrite it;
/// otherwise the test fails when the page no longer matches the commands, arguments and options the parser knows.
/// </summary>
public sealed class CliDocsTests
{
    private static string CliDoc => Path.Combine(RepoPaths.Root, "docs", "cli.md");

    [Fact]
    public void The_cli_reference_is_generated_from_the_command_tree_and_is_up_to_date()
    {
        var generated = CliDocs.Generate(OciCli.CreateRoot());
        if (Environment.GetEnvironmentVariable("OCI_UPDATE_DOCS") == "1") File.WriteAllText(CliDoc, generated);
        Assert.True(File.Exists(CliDoc), "docs/cli.md is missing: run this test with OCI_UPDATE_DOCS=1");
        Assert.True(generated == File.ReadAllText(CliDoc), "docs/cli.md is stale: run this test with OCI_UPDATE_DOCS=1 and commit the result");
    }

    [Fact]
    public void The_reference_names_every_command_option_and_exit_code()
    {
        var generated = CliDocs.Generate(OciCli.CreateRoot());
        foreach (var command in OciCli.CreateRoot().Subcommands)
        {
            Assert.Contains($"## dotnet oci {command.Name}", generated);
            foreach (var option in command.Options) Assert.Contains($"`{option.Name}`", generated);
        }
        foreach (var (code, _) in ExitCodes.All) Assert.Contains($"| {code} |", generated);
    }
}
