using Microsoft.Build.Framework;
using Oci.Build.Oci;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace Oci.Build.Tasks;

/// <summary>
/// Base of every task: runs the engine call and turns an <see cref="OciException"/> into an MSBuild error with its
/// stable code. Anything else is a bug and is logged with its stack trace.
/// </summary>
public abstract class OciTask : MSBuildTask, IBuildLog
{
    public sealed override bool Execute()
    {
        try
        {
            Run();
        }
        catch (OciException ex)
        {
            Log.LogError(subcategory: null, errorCode: ex.Code, helpKeyword: null, file: null, 0, 0, 0, 0, ex.Message);
        }
        return !Log.HasLoggedErrors;
    }

    protected abstract void Run();

    void IBuildLog.Info(string message) => Log.LogMessage(MessageImportance.High, message);

    void IBuildLog.Detail(string message) => Log.LogMessage(MessageImportance.Normal, message);

    void IBuildLog.Warning(string code, string message) =>
        Log.LogWarning(subcategory: null, warningCode: code, helpKeyword: null, file: null, 0, 0, 0, 0, message);

    protected static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
