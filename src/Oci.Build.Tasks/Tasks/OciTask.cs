using Microsoft.Build.Framework;
using Oci.Build.Oci;
using MSBuildTask = Microsoft.Build.Utilities.Task;

namespace Oci.Build.Tasks;

/// <summary>
/// Base of every task: runs the engine call and turns an <see cref="OciException"/> into an MSBuild error with its
/// stable code. Anything else is a bug and is logged with its stack trace. Cancelable: Ctrl+C (or an IDE's cancel) makes
/// MSBuild call <see cref="Cancel"/>, which cancels <see cref="Cancellation"/>; the engine stops at its next await, its
/// finally blocks remove scratch (plaintext included), and nothing is committed (a layout's index.json, a pushed tag).
/// </summary>
public abstract class OciTask : MSBuildTask, IBuildLog, ICancelableTask
{
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>Canceled when MSBuild cancels the build: hand it to every engine call that can take it.</summary>
    protected CancellationToken Cancellation => _cancel.Token;

    public void Cancel() => _cancel.Cancel();

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
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            Log.LogError(subcategory: null, errorCode: ErrorCodes.Canceled, helpKeyword: null, file: null, 0, 0, 0, 0,
                $"{GetType().Name} was canceled; nothing it was writing was committed.");
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
