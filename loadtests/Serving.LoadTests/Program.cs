using Serving.LoadTests.Commands;

return await LoadTestCommands.CreateRoot().Parse(args).InvokeAsync();
