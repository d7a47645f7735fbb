namespace Oci.Build.Oci;

/// <summary>How the engine reports progress without knowing who listens (MSBuild's logger, the CLI's console, a test).</summary>
public interface IBuildLog
{
    void Info(string message);
    void Detail(string message);
    void Warning(string code, string message);
}

public sealed class NullBuildLog : IBuildLog
{
    public static readonly NullBuildLog Instance = new();
    public void Info(string message) { }
    public void Detail(string message) { }
    public void Warning(string code, string message) { }
}
