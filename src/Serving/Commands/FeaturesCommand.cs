using System.CommandLine;
using System.Runtime.InteropServices;
using Serving.Hosting.Configuration;
using Serving.Worker.Features;
using Serving.Worker.Models;
using Spectre.Console;
using StackExchange.Redis;

namespace Serving.Commands;

/// <summary><c>serving features load</c>: a CSV of entity features into Redis, with progress and a report of refused rows.</summary>
internal static class FeaturesCommand
{
    public static Command Create()
    {
        var features = new Command("features", "Feature-store tools.");
        var load = new Command(
            "load",
            "Write a feature CSV (header: id column, then fields) into Redis for a model's features, in the layout its model.yaml names (hash or packed). "
            + "Progress and errors go to stderr, the report to stdout. Exit codes: 0 all rows written; 1 Redis failed or refused (nothing or part written; "
            + "writes are idempotent: run again) or the CSV header doesn't fit the model; 2 the command line did not parse (an unknown or missing option, --batch not a number), or a bad option value, file or model; 3 some rows refused (the others written); "
            + "130 cancelled by Ctrl+C or SIGTERM (says how many rows were written; a second one ends it at once).");
        var model = new Option<string>("--model") { Description = "Model whose model.yaml declares the features (key pattern, fields)", Required = true };
        var file = new Option<FileInfo>("--file") { Description = "CSV file: id column, then one column per field", Required = true };
        var redis = new Option<string?>("--redis") { Description = "Redis connection string (default: Serving__Features__Redis, else 127.0.0.1:6379)" };
        var models = new Option<string?>("--models") { Description = "Model repository folder (default: ./models, or the repository's models/ found above the executable)" };
        var batch = NumberOption.WholeNumber("--batch", "Rows per pipelined batch (default 500)", "not a number of rows: give a whole number, at least 1 (default 500)");
        load.Add(model);
        load.Add(file);
        load.Add(redis);
        load.Add(models);
        load.Add(batch);
        load.SetAction((result, cancellationToken) => RunAsync(
            result.GetRequiredValue(model), result.GetRequiredValue(file), result.GetValue(redis), result.GetValue(models), result.GetValue(batch) ?? 500, cancellationToken));
        features.Add(load);
        return features;
    }

    private static async Task<int> RunAsync(string model, FileInfo file, string? redis, string? models, int batch, CancellationToken cancellationToken)
    {
        // The command line leaves signals to the commands (the hosts have their own): here Ctrl+C or SIGTERM cancels the
        // load, which waits for the writes it sent and says how far it got. A second one ends the process at once.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        return await LoadAsync(model, file, redis, models, batch, stop.Token).ConfigureAwait(false);

        void Stop(PosixSignalContext context)
        {
            context.Cancel = !stop.IsCancellationRequested;
            stop.Cancel();
        }
    }

    private static async Task<int> LoadAsync(string model, FileInfo file, string? redis, string? models, int batch, CancellationToken cancellationToken)
    {
        var repository = models ?? ModelRepositoryLocator.Find() ?? "models";
        var configPath = ModelNames.IsValidName(model) ? ModelConfigLoader.Find(Path.Combine(repository, model)) : null;
        if (configPath is null)
        {
            Stderr.MarkupLineInterpolated($"[red]serving features: no model '{model}' in {repository}[/] (give --models)");
            return 2;
        }

        if (!file.Exists)
        {
            Stderr.MarkupLineInterpolated($"[red]serving features: {file.FullName} {(Directory.Exists(file.FullName) ? "is a folder: give --file the CSV file" : "does not exist")}[/]");
            return 2;
        }

        FeaturesConfig config;
        try
        {
            config = ModelConfigLoader.Load(model, configPath).Features
                ?? throw new ModelConfigException($"model '{model}' declares no features in its model.yaml");
        }
        catch (ModelConfigException e)
        {
            Stderr.MarkupLineInterpolated($"[red]serving features: {e.Message}[/]");
            return 2;
        }

        if (batch < 1)
        {
            Stderr.MarkupLineInterpolated($"[red]serving features: --batch is {batch}; give the rows per pipelined batch, at least 1 (default 500)[/]");
            return 2;
        }

        var connection = redis ?? Environment.GetEnvironmentVariable("Serving__Features__Redis") ?? "127.0.0.1:6379";
        var shown = RedisConnectionString.Redact(connection); // never the password, on screen or in a CI log
        if (RedisConnectionString.TryParse(connection, out var invalid) is not { } options)
        {
            Stderr.MarkupLineInterpolated($"[red]serving features: '{shown}' is not a Redis connection string ({invalid})[/]; give --redis {RedisConnectionString.Example}");
            return 2;
        }

        options.ConnectTimeout = 3000;
        ConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await ConnectionMultiplexer.ConnectAsync(options).ConfigureAwait(false);
        }
        catch (RedisConnectionException e)
        {
            Stderr.MarkupLineInterpolated($"[red]serving features: {LoadErrors.NotConnected(shown, e)}[/]");
            return 1;
        }

        await using (multiplexer.ConfigureAwait(false))
        {
            // Rows to expect, for the progress bar: the non-blank lines after the header (an empty file has none).
            var lines = Math.Max(0, File.ReadLines(file.FullName).LongCount(l => !string.IsNullOrWhiteSpace(l)) - 1);
            FeatureLoader.Result outcome;
            try
            {
                // Progress and errors go to stderr, as the load tests' do: stdout carries only the report.
                Stderr.WriteLine($"loading {file.Name} ({lines} rows) into {shown}");
                async Task<FeatureLoader.Result> LoadAsync(IProgress<long> rows)
                {
                    using var reader = file.OpenText();
                    return await FeatureLoader.LoadAsync(reader, config, multiplexer.GetDatabase(), batch, rows, cancellationToken).ConfigureAwait(false);
                }

                // No live bar is drawn where stderr is not a terminal: a line every tenth of the rows instead.
                outcome = Console.IsErrorRedirected
                    ? await LoadAsync(new ProgressLines(Console.Error, lines)).ConfigureAwait(false)
                    : await Stderr.Progress().AutoClear(false).StartAsync(progress =>
                    {
                        // A task's description is markup: a file named feat[1].csv would end the load with Spectre's exception.
                        var task = progress.AddTask(Markup.Escape(file.Name), maxValue: Math.Max(lines, 1));
                        return LoadAsync(new Progress<long>(n => task.Value = n));
                    }).ConfigureAwait(false);
            }
            catch (FormatException e)
            {
                // Only the header refuses a whole file (a row that doesn't parse is reported by its line, the others written).
                Stderr.MarkupLineInterpolated($"[red]serving features: {file.Name} line 1 (the header): {e.Message}[/] (fix the file and run again)");
                return 1;
            }
            catch (FeatureLoadException e)
            {
                Stderr.MarkupLineInterpolated($"[red]serving features: {LoadErrors.Stopped(shown, config.Layout, e)}[/]");
                return 1;
            }
            catch (FeatureLoadStoppedException e)
            {
                Stderr.MarkupLineInterpolated($"[yellow]serving features: {LoadErrors.Cancelled(file.Name, e)}[/]");
                return 130;
            }

            Report(outcome);
            return outcome.Refused.Count == 0 ? 0 : 3;
        }
    }

    private static IAnsiConsole Stderr { get; } = Create(Console.Error, Console.IsErrorRedirected);

    private static IAnsiConsole Stdout { get; } = Create(Console.Out, Console.IsOutputRedirected);

    // Spectre.Console wraps lines at 80 columns when its output is not a terminal: a log file or a CI log got each long
    // message broken in pieces. Redirected, a line is as long as it is.
    private static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer) });
        if (redirected)
        {
            console.Profile.Width = int.MaxValue;
        }

        return console;
    }

    private static void Report(FeatureLoader.Result outcome)
    {
        Stdout.MarkupLineInterpolated($"wrote [green]{outcome.Written}[/] entities, refused [yellow]{outcome.Refused.Count}[/] rows");
        if (outcome.Refused.Count == 0)
        {
            return;
        }

        var table = new Table().AddColumn("line").AddColumn("why");
        foreach (var bad in outcome.Refused.Take(50))
        {
            table.AddRow(bad.Line.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(bad.Reason));
        }

        Stdout.Write(table);
        if (outcome.Refused.Count > 50)
        {
            Stdout.MarkupLineInterpolated($"… and {outcome.Refused.Count - 50} more");
        }
    }
}
