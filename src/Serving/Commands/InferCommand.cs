using System.CommandLine;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Serving.Protocol.Errors;
using Serving.Protocol.Inference;
using Serving.Protocol.Messages;
using Serving.Protocol.Rest;
using Serving.Protocol.Tensors;

namespace Serving.Commands;

/// <summary><c>serving infer</c>: send an Open Inference Protocol JSON request over gRPC (raw tensors) and print the answer as JSON.</summary>
internal static class InferCommand
{
    public static Command Create()
    {
        var command = new Command("infer", "Send an OIP infer request (a JSON file in the REST form) to a server over gRPC and print the response. "
            + "Exit codes: 0 answered; 1 the server refused the request, or gave no answer within --timeout; 2 the command line did not parse (an unknown option, no --input), "
            + "a bad option or request file, or no gRPC server there.");
        var model = new Argument<string>("model") { Description = "Model name" };
        var version = new Option<string?>("--model-version") { Description = "Model version (default: the server picks)" };
        var input = new Option<FileInfo>("--input") { Description = "JSON request file, e.g. models/tabular/1/golden.json", Required = true };
        var target = new Option<string>("--grpc") { Description = "gRPC address: host:port or http://host:port", DefaultValueFactory = _ => "127.0.0.1:8001" };
        var timeout = TimeoutOption.Create("the answer, the call's gRPC deadline");
        command.Add(model);
        command.Add(version);
        command.Add(input);
        command.Add(target);
        command.Add(timeout);
        command.SetAction(async (result, cancellationToken) =>
        {
            var file = result.GetRequiredValue(input);
            if (!file.Exists)
            {
                await Console.Error.WriteLineAsync($"serving infer: {file.FullName} {(Directory.Exists(file.FullName) ? "is a folder: give the request's JSON file" : "does not exist")}").ConfigureAwait(false);
                return 2;
            }

            if (!CliAddress.TryParse(result.GetValue(target), out var address))
            {
                await Console.Error.WriteLineAsync($"serving infer: --grpc '{result.GetValue(target)}' is not an address: give host:port (e.g. 127.0.0.1:8001) or http://host:port").ConfigureAwait(false);
                return 2;
            }

            try
            {
                var request = ToGrpc(await File.ReadAllBytesAsync(file.FullName, cancellationToken).ConfigureAwait(false), result.GetRequiredValue(model), result.GetValue(version) ?? "");
                using var channel = GrpcChannel.ForAddress(address);
                var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
                var response = await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(result.GetValue(timeout)), cancellationToken: cancellationToken).ConfigureAwait(false);
                string json;
                try
                {
                    json = ToJson(response);
                }
                catch (InferenceException e)
                {
                    // The answer came, but this command prints JSON only (e.g. BYTES that are not UTF-8 text).
                    await Console.Error.WriteLineAsync($"serving infer: the answer can't be printed as JSON: {e.Message}").ConfigureAwait(false);
                    return 1;
                }

                Console.WriteLine(json);
                return 0;
            }
            catch (InferenceException e)
            {
                await Console.Error.WriteLineAsync($"serving infer: the request file is not valid: {e.Message}").ConfigureAwait(false);
                return 2;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && e.Status.DebugException is not null)
            {
                // The client's own failure to connect (a server's UNAVAILABLE answer carries no exception).
                await Console.Error.WriteLineAsync(
                    $"serving infer: could not reach {address} ({e.Status.Detail}): is a server listening there? `serving up` takes gRPC on 127.0.0.1:8001, a worker on 8081").ConfigureAwait(false);
                return 2;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded && string.IsNullOrEmpty(e.Status.Detail))
            {
                // The client's own deadline (a server's DEADLINE_EXCEEDED says whose budget ran out): nothing came back in time.
                await Console.Error.WriteLineAsync(
                    $"serving infer: no answer from {address} within {result.GetValue(timeout)} s: is it the gRPC port of a running server (`serving up` takes gRPC on 127.0.0.1:8001, a worker on 8081)? "
                    + "For a slow model, give --timeout more seconds").ConfigureAwait(false);
                return 1;
            }
            catch (RpcException e)
            {
                if (await GrpcCallFailures.IsHttp11OnlyAsync(e, address, cancellationToken).ConfigureAwait(false))
                {
                    await Console.Error.WriteLineAsync(
                        $"serving infer: {address} speaks HTTP/1.1 only, not gRPC: is it a REST port? `serving up` takes gRPC on 127.0.0.1:8001, a worker on 8081").ConfigureAwait(false);
                    return 2;
                }

                await Console.Error.WriteLineAsync($"serving infer: {e.StatusCode}: {e.Status.Detail}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }

    private static ModelInferRequest ToGrpc(byte[] json, string model, string version)
    {
        using var parsed = RestInferRequestReader.Read(json, null, model, version, long.MaxValue >> 8, null);
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version, Id = parsed.Id ?? "" };
        foreach (var tensor in parsed.Inputs)
        {
            var input = new ModelInferRequest.Types.InferInputTensor { Name = tensor.Name, Datatype = tensor.DataType.ToWire() };
            input.Shape.AddRange(tensor.Shape);
            request.Inputs.Add(input);
            request.RawInputContents.Add(ByteString.CopyFrom(RawContentsCodec.ToArray(tensor)));
        }

        // The rest of the request goes too: the outputs it asks for (Triton's classification as its gRPC client sends it,
        // an int64_param) and its parameters (Triton's timeout, say), all but REST's own binary_data_output.
        foreach (var output in parsed.Outputs)
        {
            var requested = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = output.Name };
            if (output.Classification > 0)
            {
                requested.Parameters[RequestedOutput.ClassificationParameter] = new InferParameter { Int64Param = output.Classification };
            }

            request.Outputs.Add(requested);
        }

        foreach (var (key, value) in parsed.Parameters)
        {
            if (key != "binary_data_output")
            {
                request.Parameters[key] = GrpcInferCodec.ToParameter(value);
            }
        }

        return request;
    }

    private static string ToJson(ModelInferResponse response)
    {
        var outputs = new List<InferTensor>();
        for (var i = 0; i < response.Outputs.Count; i++)
        {
            var o = response.Outputs[i];
            DataTypes.TryParse(o.Datatype, out var type);
            outputs.Add(RawContentsCodec.Decode(o.Name, type, [.. o.Shape], Shapes.ElementCount([.. o.Shape]), response.RawOutputContents[i].Memory));
        }

        using var decoded = new InferenceResponse(response.ModelName, response.ModelVersion, response.Id, outputs);
        GrpcInferCodec.CopyParameters(response.Parameters, decoded.Parameters); // e.g. features_defaulted_rows, as REST prints it
        using var request = new InferenceRequest(response.ModelName, response.ModelVersion, null, []);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        RestInferResponseWriter.Write(buffer, decoded, request);
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        return JsonSerializer.Serialize(doc.RootElement, new JsonSerializerOptions { WriteIndented = true });
    }
}
