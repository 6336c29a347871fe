using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serving.Worker.Models;

namespace Serving.Commands;

/// <summary>
/// <c>serving traffic list | get &lt;model&gt; | set &lt;model&gt; 1=90 2=10 [--sticky-header h] [--pin-header h] [--shadow 3:5]
/// [--rollback-baseline 1 --max-error-rate 0.05 [--min-requests N] [--window S] [--max-p99-ms MS]] | history &lt;model&gt;</c>:
/// a client of the gateway's admin API. The token comes from <c>--token</c> or <c>SERVING_ADMIN_TOKEN</c>; an answer not
/// back within <c>--timeout</c> seconds ends the command (exit 2) saying so.
/// </summary>
internal static class TrafficCommand
{
    public const string TokenVariable = "SERVING_ADMIN_TOKEN";

    public static Command Create()
    {
        var command = new Command(
            "traffic",
            "Read or change a model's traffic policy through a gateway's admin API. Exit codes: 0 answered; 1 the gateway refused (the reason is printed: "
            + "a bad token, an invalid policy, an unknown model); 2 the command line did not parse (an unknown option, a missing argument), a model name no model can have, a weight, "
            + "--shadow or rollback option the command can't send, no token, or no admin API answering at --admin (nothing listening, or no answer within --timeout).");
        var admin = new Option<string>("--admin") { Description = "The admin API's address", DefaultValueFactory = _ => "http://127.0.0.1:8003", Recursive = true };
        var token = new Option<string?>("--token") { Description = $"The admin bearer token (default: ${TokenVariable})", Recursive = true };
        var timeout = TimeoutOption.Create("the admin API's answer", recursive: true);
        command.Add(admin);
        command.Add(token);
        command.Add(timeout);

        var list = new Command("list", "List models with their versions, health and weights.");
        list.SetAction((r, ct) => SendAsync(r, admin, token, timeout, HttpMethod.Get, "/admin/models", null, ct));

        var get = new Command("get", "Print a model's traffic policy.");
        var getModel = new Argument<string>("model") { Description = "Model name" };
        get.Add(getModel);
        get.SetAction((r, ct) => ForModelAsync(r, getModel, model => SendAsync(r, admin, token, timeout, HttpMethod.Get, $"/admin/models/{model}/policy", null, ct)));

        var history = new Command("history", "Print who changed a model's policy, when, from what to what.");
        var historyModel = new Argument<string>("model") { Description = "Model name" };
        history.Add(historyModel);
        history.SetAction((r, ct) => ForModelAsync(r, historyModel, model => SendAsync(r, admin, token, timeout, HttpMethod.Get, $"/admin/models/{model}/policy/history", null, ct)));

        command.Add(list);
        command.Add(get);
        command.Add(history);
        command.Add(CreateSet(admin, token, timeout));
        return command;
    }

    private static Command CreateSet(Option<string> admin, Option<string?> token, Option<int> timeout)
    {
        var set = new Command(
            "set",
            "Set a model's weights (percent per version, adding up to 100), sticky header, pin header, shadow and automatic rollback. "
            + "The policy is replaced whole: a sticky header, pin header, shadow or rollback in force that is not given again is turned off "
            + "(`serving traffic get` shows the one in force).");
        var model = new Argument<string>("model") { Description = "Model name" };
        var weights = new Argument<string[]>("weights") { Description = "VERSION=PERCENT for each version, e.g. 1=90 2=10", Arity = ArgumentArity.OneOrMore };
        var sticky = new Option<string?>("--sticky-header") { Description = "Keep callers with the same value of this header on one version (e.g. x-user-id)" };
        var pin = new Option<string?>("--pin-header") { Description = "Let callers name a version in this header (e.g. x-model-version)" };
        var shadow = new Option<string?>("--shadow") { Description = "VERSION:PERCENT: copy that share of requests to a shadow version (answers compared, discarded)" };
        var revision = NumberOption.LongWholeNumber(
            "--revision", "Refuse the change unless the policy is still at this revision", "not a revision: give the whole number `serving traffic get` shows as \"revision\"");
        var rollback = TrafficRollbackOptions.Create();
        set.Add(model);
        set.Add(weights);
        set.Add(sticky);
        set.Add(pin);
        set.Add(shadow);
        set.Add(revision);
        rollback.AddTo(set);
        set.SetAction((r, ct) => ForModelAsync(r, model, async name =>
        {
            string body;
            try
            {
                body = PolicyBody(r.GetRequiredValue(weights), r.GetValue(sticky), r.GetValue(pin), r.GetValue(shadow), r.GetValue(revision), rollback.Read(r));
            }
            catch (FormatException e)
            {
                await Console.Error.WriteLineAsync($"serving traffic set: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            return await SendAsync(r, admin, token, timeout, HttpMethod.Put, $"/admin/models/{name}/policy", body, ct).ConfigureAwait(false);
        }));
        return set;
    }

    /// <summary>
    /// Runs <paramref name="send"/> for the model the command names, or refuses a name no model can have (exit 2) without
    /// asking the gateway: an empty name went out as <c>GET /admin/models//policy</c> and came back "404: no endpoint at
    /// GET /admin/models//policy", and <c>..</c> was read as a path step, <c>GET /admin/policy</c>.
    /// </summary>
    private static Task<int> ForModelAsync(ParseResult result, Argument<string> argument, Func<string, Task<int>> send)
    {
        var model = result.GetRequiredValue(argument);
        if (ModelNames.IsValidName(model))
        {
            return send(model);
        }

        Console.Error.WriteLine(
            $"serving traffic {result.CommandResult.Command.Name}: '{model}' is not a model name: a model name is 1 to 128 letters, digits, '_', '.' and '-', "
            + "starting with a letter or digit (`serving traffic list` shows the gateway's models)");
        return Task.FromResult(ServingCommandLine.UsageError);
    }

    /// <summary>The PUT body for <c>set</c>: <c>1=90 2=10</c>, an optional sticky/pin header, <c>--shadow 3:5</c> and rollback settings.</summary>
    internal static string PolicyBody(IEnumerable<string> weights, string? stickyHeader, string? pinHeader, string? shadow, long? revision, TrafficRollbackSettings? rollback = null)
    {
        var weightsNode = new JsonObject();
        foreach (var w in weights)
        {
            var parts = w.Split('=');
            if (parts.Length != 2 || parts[0].Length == 0 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
            {
                throw new FormatException($"'{w}' is not VERSION=PERCENT (e.g. 1=90)");
            }

            if (weightsNode.ContainsKey(parts[0]))
            {
                throw new FormatException($"version {parts[0]} is given twice");
            }

            weightsNode[parts[0]] = percent;
        }

        var body = new JsonObject { ["weights"] = weightsNode };
        if (stickyHeader is not null)
        {
            body["sticky_header"] = stickyHeader;
        }

        if (pinHeader is not null)
        {
            body["pin_header"] = pinHeader;
        }

        if (shadow is not null)
        {
            var parts = shadow.Split(':');
            if (parts.Length != 2 || parts[0].Length == 0 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
            {
                throw new FormatException($"--shadow '{shadow}' is not VERSION:PERCENT (e.g. 3:5)");
            }

            body["shadow"] = new JsonObject { ["version"] = parts[0], ["percent"] = percent };
        }

        if (rollback is not null)
        {
            body["rollback"] = rollback.ToJson();
        }

        if (revision is not null)
        {
            body["revision"] = revision.Value;
        }

        return body.ToJsonString();
    }

    private static async Task<int> SendAsync(ParseResult result, Option<string> adminOption, Option<string?> tokenOption, Option<int> timeoutOption, HttpMethod method, string path, string? body, CancellationToken cancellationToken)
    {
        var token = result.GetValue(tokenOption) ?? Environment.GetEnvironmentVariable(TokenVariable);
        if (string.IsNullOrEmpty(token))
        {
            await Console.Error.WriteLineAsync($"serving traffic: no admin token: pass --token or set {TokenVariable}").ConfigureAwait(false);
            return 2;
        }

        if (!CliAddress.TryParse(result.GetRequiredValue(adminOption), out var baseAddress))
        {
            await Console.Error.WriteLineAsync("serving traffic: --admin must be an address such as http://127.0.0.1:8003 or 127.0.0.1:8003").ConfigureAwait(false);
            return 2;
        }

        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(result.GetValue(timeoutOption)) };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.TryAddWithoutValidation("X-Serving-Actor", Environment.UserName);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        try
        {
            using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                Console.WriteLine(Pretty(text));
                if (response.Headers.TryGetValues("X-Serving-Audit-Error", out var audit))
                {
                    await Console.Error.WriteLineAsync($"serving traffic: warning: {audit.First()} (see the gateway's log)").ConfigureAwait(false);
                }

                return 0;
            }

            await Console.Error.WriteLineAsync($"serving traffic: {(int)response.StatusCode} {response.ReasonPhrase}: {ErrorOf(text)}").ConfigureAwait(false);
            return 1;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"serving traffic: could not reach the admin API at {baseAddress}: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // HttpClient's timeout: the port took the connection and sent nothing back.
            await Console.Error.WriteLineAsync(
                $"serving traffic: no answer from the admin API at {baseAddress} within {result.GetValue(timeoutOption)} s: is it the gateway's admin port (Serving:Gateway:AdminPort, 8003 by default)? "
                + "Give --timeout more seconds to wait longer"
                + (method == HttpMethod.Get ? "" : $". The change may have been made: see `serving traffic get` for the policy in force")).ConfigureAwait(false);
            return 2;
        }
    }

    private static string Pretty(string json)
    {
        try
        {
            return JsonNode.Parse(json)?.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? json;
        }
        catch (JsonException)
        {
            return json;
        }
    }

    private static string ErrorOf(string text)
    {
        try
        {
            return JsonNode.Parse(text)?["error"]?.GetValue<string>() ?? text;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return text;
        }
    }
}
