return await Oci.Build.Cli.OciCli.RunAsync(args, Console.Out, Console.Error, handleTermination: true);
