using Oci.Build.Oci;

namespace Oci.Build.Images;

/// <summary>How the app's start command goes into the config (the .NET SDK's <c>ContainerAppCommandInstruction</c>).</summary>
public enum AppCommandInstruction
{
    /// <summary>Entrypoint = app command + its args; Cmd = default args.</summary>
    Entrypoint,
    /// <summary>The base image's entrypoint stays (a shell, tini, ...); Cmd = app command + its args + default args.</summary>
    DefaultArgs,
    /// <summary>Only the deprecated ContainerEntrypoint/ContainerEntrypointArgs (or the base's entrypoint) start the container.</summary>
    None,
}

/// <summary>
/// Decides the config's Entrypoint and Cmd from the app command settings with the .NET SDK's rules, so a project moving
/// over starts the same way. A null Entrypoint keeps the base image's.
/// </summary>
public static class AppCommand
{
    public sealed record Inputs
    {
        public string? Instruction { get; init; }
        public IReadOnlyList<string> Command { get; init; } = [];
        public IReadOnlyList<string> CommandArgs { get; init; } = [];
        public IReadOnlyList<string> DefaultArgs { get; init; } = [];
        /// <summary>The deprecated ContainerEntrypoint items.</summary>
        public IReadOnlyList<string> LegacyEntrypoint { get; init; } = [];
        /// <summary>The deprecated ContainerEntrypointArgs items.</summary>
        public IReadOnlyList<string> LegacyEntrypointArgs { get; init; } = [];
    }

    public static (IReadOnlyList<string>? Entrypoint, IReadOnlyList<string> Cmd) Resolve(Inputs inputs)
    {
        var command = inputs.Command;
        var cmd = inputs.DefaultArgs;
        var entrypoint = inputs.LegacyEntrypoint;
        var entrypointArgs = inputs.LegacyEntrypointArgs;
        var setsEntrypoint = entrypoint.Count > 0 || entrypointArgs.Count > 0;

        AppCommandInstruction instruction;
        if (string.IsNullOrWhiteSpace(inputs.Instruction))
        {
            if (!setsEntrypoint) instruction = AppCommandInstruction.Entrypoint;
            else if (cmd.Count == 0 && inputs.CommandArgs.Count == 0 && entrypoint.Count == 0)
            {
                // Projects written before AppCommand existed: the app command becomes the entrypoint, the old args its Cmd.
                (entrypoint, cmd, entrypointArgs, command) = (command, entrypointArgs, [], []);
                instruction = AppCommandInstruction.None;
            }
            else instruction = AppCommandInstruction.DefaultArgs;
        }
        else instruction = Parse(inputs.Instruction);

        if (entrypointArgs.Count > 0 && entrypoint.Count == 0)
            throw new OciException(ErrorCodes.AppCommandInstruction, "ContainerEntrypointArgs are set without ContainerEntrypoint: use ContainerAppCommandArgs instead.");
        if (inputs.CommandArgs.Count > 0 && command.Count == 0 && instruction != AppCommandInstruction.None)
            throw new OciException(ErrorCodes.AppCommandInstruction, "ContainerAppCommandArgs are set without a ContainerAppCommand.");

        switch (instruction)
        {
            case AppCommandInstruction.None:
                if (command.Count > 0 || inputs.CommandArgs.Count > 0)
                    throw new OciException(ErrorCodes.AppCommandInstruction,
                        "ContainerAppCommandInstruction=None, but ContainerAppCommand or ContainerAppCommandArgs are set: remove them or choose Entrypoint or DefaultArgs.");
                break;
            case AppCommandInstruction.DefaultArgs:
                cmd = [.. command, .. inputs.CommandArgs, .. cmd];
                break;
            default:
                if (setsEntrypoint)
                    throw new OciException(ErrorCodes.AppCommandInstruction,
                        "ContainerEntrypoint/ContainerEntrypointArgs conflict with ContainerAppCommandInstruction=Entrypoint: move them to ContainerAppCommand/ContainerAppCommandArgs, or set ContainerAppCommandInstruction to DefaultArgs or None.");
                (entrypoint, entrypointArgs) = (command, inputs.CommandArgs);
                break;
        }
        return (entrypoint.Count > 0 ? [.. entrypoint, .. entrypointArgs] : null, cmd);
    }

    public static AppCommandInstruction Parse(string value) => value.Trim().ToLowerInvariant() switch
    {
        "entrypoint" => AppCommandInstruction.Entrypoint,
        "defaultargs" => AppCommandInstruction.DefaultArgs,
        "none" => AppCommandInstruction.None,
        _ => throw new OciException(ErrorCodes.AppCommandInstruction, $"ContainerAppCommandInstruction '{value}' is not supported: use Entrypoint, DefaultArgs or None."),
    };
}
