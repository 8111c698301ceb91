using TokenManagement.Server;

return await Cli.RunAsync(args, Console.Out, Console.Error);
