// Loads OpenSSL (System.Security.Cryptography's backend on Linux) on a thread of its own while the command line is parsed
// and the registry's first answers are awaited: every command hashes, and the first hash in the process otherwise pays
// for loading and relocating libcrypto (about 10 ms of CPU measured, on the path of every pull) where it is first needed.
if (OperatingSystem.IsLinux()) new Thread(() => System.Security.Cryptography.SHA256.HashData(ReadOnlySpan<byte>.Empty)) { IsBackground = true }.Start();
return await Oci.Build.Cli.OciCli.RunAsync(args, Console.Out, Console.Error, handleTermination: true);
