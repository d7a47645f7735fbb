namespace Oci.Build.Cli;

/// <summary>A command line that parses but makes no sense (a digest where a tag is needed): exit code 2, like a parse error.</summary>
public sealed class UsageException(string message) : Exception(message);
