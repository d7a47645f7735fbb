using System.Runtime.CompilerServices;
using Microsoft.Build.Locator;

namespace Oci.Build.Tests.Infrastructure;

internal static class MSBuildSetup
{
    /// <summary>
    /// Registers the installed .NET SDK's MSBuild before any test touches an MSBuild type, so projects evaluate in-process
    /// exactly as `dotnet build` would evaluate them.
    /// </summary>
    [ModuleInitializer]
    internal static void RegisterMSBuild()
    {
        if (!MSBuildLocator.IsRegistered) MSBuildLocator.RegisterDefaults();
    }
}
