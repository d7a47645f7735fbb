return Oci.Build.Cli.OciCli.Run(args, Console.Out, Console.Error);
