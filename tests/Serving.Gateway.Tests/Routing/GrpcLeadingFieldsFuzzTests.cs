using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using Serving.Gateway.Routing;
using Serving.Gateway.Tests.TestSupport;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Tests.Routing;

/// <summary>
/// Mutation fuzz of <see cref="GrpcLeadingFields"/>: for any bytes it finds the model_name and model_version Google.Protobuf
/// reads in the fields before the first one numbered above 2, or refuses the message exactly when Google.Protobuf does
/// (or when the gateway is stricter: a leading field of another wire type, or longer than it reads). However the bytes
/// are cut into segments, and however many of them have arrived, a decided answer is the same.
/// </summary>
public sealed class GrpcLeadingFieldsFuzzTests
{
    // Mutated bodies per run: 20,000 in CI; set LEADING_FIELDS_FUZZ_ITERATIONS for a longer search (300,000 took 10 s).
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("LEADING_FIELDS_FUZZ_ITERATIONS"), out var n) ? n : 20_000;

    [Fact]
    public void Parse_MutatedBodies_FindWhatGoogleProtobufFinds_OrRefuseWhenItRefuses()
    {
        var random = new Random(23);
        var (found, refused) = (0, 0);
        for (var i = 0; i < Iterations; i++)
        {
            var body = FuzzBodies.Mutated(random);
            var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), isCompleted: true);
            var expected = Reference.Of(body);

            var context = $"iteration {i}, body {Convert.ToHexString(body.AsSpan(0, Math.Min(body.Length, 128)))}: {fields}, expected {expected}";
            if (expected.Refused)
            {
                Assert.True(fields.Status == LeadingFieldsStatus.Invalid, context);
                refused++;
                continue;
            }

            Assert.True(fields.Status == LeadingFieldsStatus.Ok, context);
            Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1)), fields.MessageLength);
            Assert.True(expected.Name == Bytes(body, fields.Name), context);
            Assert.True(expected.Version == Bytes(body, fields.Version), context);
            found++;
        }

        // Both outcomes were exercised, or the comparison proves little.
        Assert.True(found > Iterations / 5, $"found {found}");
        Assert.True(refused > Iterations / 5, $"refused {refused}");
    }

    [Fact]
    public void Parse_MutatedBodies_InRandomSegmentsAndPrefixes_AnswerAsTheWholeBody()
    {
        var random = new Random(29);
        var waited = 0;
        for (var i = 0; i < Iterations; i++)
        {
            var body = FuzzBodies.Mutated(random);
            var whole = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), isCompleted: true);

            Assert.Equal(whole, GrpcLeadingFields.Parse(FuzzBodies.Split(body, random), isCompleted: true));

            // Fewer bytes, more to come: wait for them, or answer now as all of them would.
            var prefix = body.AsSpan(0, random.Next(body.Length + 1)).ToArray();
            var early = GrpcLeadingFields.Parse(FuzzBodies.Split(prefix, random), isCompleted: false);
            if (early.Status == LeadingFieldsStatus.NeedMoreData)
            {
                waited++;
            }
            else if (early is { Status: LeadingFieldsStatus.Ok, Name: null })
            {
                // No name before a later field: refused either way, as "model_name is required" or, once the body ended short, as truncated.
                Assert.True(whole.Status == LeadingFieldsStatus.Invalid || whole == early, $"{early} then {whole}");
            }
            else
            {
                Assert.Equal(whole, early);
            }
        }

        Assert.True(waited > Iterations / 10, $"waited {waited}");
    }

    [Fact]
    public void Parse_RequestsAsGoogleProtobufWritesThem_FindTheirNameAndVersion_OrSayWhichIsTooLong()
    {
        var random = new Random(31);
        for (var i = 0; i < 500; i++)
        {
            var request = FuzzBodies.Request(random);
            var body = Frames.Frame(request.ToByteArray());

            var fields = GrpcLeadingFields.Parse(FuzzBodies.Split(body, random), isCompleted: true);

            if (Encoding.UTF8.GetByteCount(request.ModelName) > GrpcLeadingFields.MaxFieldBytes)
            {
                Assert.Equal("model_name is too long", fields.Error);
                continue;
            }

            if (Encoding.UTF8.GetByteCount(request.ModelVersion) > GrpcLeadingFields.MaxFieldBytes)
            {
                Assert.Equal("model_version is too long", fields.Error);
                continue;
            }

            Assert.Equal(LeadingFieldsStatus.Ok, fields.Status);
            Assert.Equal(request.ModelName, Frames.Text(body, fields.Name) ?? "");
            Assert.Equal(request.ModelVersion, Frames.Text(body, fields.Version) ?? "");
        }
    }

    private static string? Bytes(byte[] body, FieldRange? range)
    {
        if (range is not { } r)
        {
            return null;
        }

        Assert.InRange(r.Length, 0, GrpcLeadingFields.MaxFieldBytes);
        Assert.InRange(r.Offset, GrpcLeadingFields.FrameHeaderLength, body.Length - r.Length);
        return Convert.ToHexString(body, (int)r.Offset, r.Length);
    }

    /// <summary>What the gateway should answer, read with Google.Protobuf's <see cref="CodedInputStream"/>.</summary>
    private readonly record struct Reference(bool Refused, string? Name, string? Version)
    {
        private static readonly Reference Refuse = new(true, null, null);

        public static Reference Of(byte[] body)
        {
            if (body.Length < GrpcLeadingFields.FrameHeaderLength || body[0] != 0)
            {
                return Refuse;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(1));
            var message = body.AsSpan(GrpcLeadingFields.FrameHeaderLength, (int)Math.Min(length, body.Length - GrpcLeadingFields.FrameHeaderLength)).ToArray();
            try
            {
                return Leading(message, truncated: message.Length < length);
            }
            catch (InvalidProtocolBufferException)
            {
                return Refuse;
            }
        }

        private static Reference Leading(byte[] message, bool truncated)
        {
            var input = new CodedInputStream(message);
            var (name, version, later, stop, text) = ((byte[]?)null, (byte[]?)null, false, message.Length, true);
            while (!input.IsAtEnd)
            {
                var at = (int)input.Position;
                if (WholeVarint(message, at) > uint.MaxValue)
                {
                    // Google.Protobuf keeps a tag's low 32 bits; the gateway refuses it.
                    return Refuse;
                }

                var tag = input.ReadTag();
                var field = WireFormat.GetTagFieldNumber(tag);
                if (field > 2)
                {
                    (later, stop) = (true, at);
                    break;
                }

                if (WireFormat.GetTagWireType(tag) != WireFormat.WireType.LengthDelimited
                    || WholeVarint(message, (int)input.Position) > GrpcLeadingFields.MaxFieldBytes)
                {
                    return Refuse;
                }

                var value = input.ReadBytes().ToByteArray();
                (name, version) = field == 1 ? (value, version) : (name, value);
                text &= IsText(value);
            }

            if (truncated && (!later || name is null))
            {
                return Refuse;
            }

            if (text)
            {
                CrossCheck(message.AsSpan(0, stop).ToArray(), name, version);
            }

            return new(false, name is null ? null : Convert.ToHexString(name), version is null ? null : Convert.ToHexString(version));
        }

        // The generated parser reads the same text from the same bytes, when every name and version is text (it refuses
        // other bytes, even in an occurrence a later one replaces; the gateway refuses the one it routes by once it decodes it).
        private static void CrossCheck(byte[] prefix, byte[]? name, byte[]? version)
        {
            var parsed = ModelInferRequest.Parser.ParseFrom(prefix);
            Assert.Equal(parsed.ModelName, Encoding.UTF8.GetString(name ?? []));
            Assert.Equal(parsed.ModelVersion, Encoding.UTF8.GetString(version ?? []));
        }

        private static bool IsText(byte[] bytes) => !Encoding.UTF8.GetString(bytes).Contains('\uFFFD', StringComparison.Ordinal);

        private static ulong WholeVarint(byte[] message, int at) => new CodedInputStream(message, at, message.Length - at).ReadUInt64();
    }
}
