using Serving.LoadTests.Commands;

return await LoadTestCommands.InvokeAsync(args);
