using System.Buffers;
using Google.Protobuf;
using Serving.Gateway.Routing;
using Serving.Gateway.Tests.TestSupport;
using Serving.Protocol.Inference;

namespace Serving.Gateway.Tests.Routing;

public sealed class GrpcLeadingFieldsTests
{
    [Fact]
    public void Parse_RealRequest_FindsNameAndVersion()
    {
        var body = Frames.Frame(RealRequest("tabular", "2").ToByteArray());

        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), isCompleted: true);

        Assert.Equal(LeadingFieldsStatus.Ok, fields.Status);
        Assert.Equal("tabular", Frames.Text(body, fields.Name));
        Assert.Equal("2", Frames.Text(body, fields.Version));
    }

    [Fact]
    public void Parse_OnlyTheLeadingBytesOfALargeRequest_IsEnough()
    {
        var message = RealRequest("tabular", "1", rawBytes: 100_000).ToByteArray();
        var body = Frames.Frame(message);
        var leading = body.AsSpan(0, 5 + Frames.StringField(1, "tabular").Length + Frames.StringField(2, "1").Length + 1).ToArray();

        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(leading), isCompleted: false);

        Assert.Equal(LeadingFieldsStatus.Ok, fields.Status);
        Assert.Equal("tabular", Frames.Text(body, fields.Name));
        Assert.Equal("1", Frames.Text(body, fields.Version));
        Assert.Equal((uint)message.Length, fields.MessageLength);
    }

    [Fact]
    public void Parse_StreamFirstMessageCutShort_InvalidWithoutWaitingForMore()
    {
        // A stream (ModelStreamInfer) that stays open: the first message is all here, and its field 1's varint length
        // is cut by the message's end. That is malformed now; waiting for more of the body would wait for the next message.
        var body = Frames.Frame([0x0a, 0xff, 0xff]);

        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), isCompleted: false);

        Assert.Equal(LeadingFieldsStatus.Invalid, fields.Status);
    }

    [Fact]
    public void Parse_StreamFirstMessageWhole_NextMessageNotRead()
    {
        // The first message names the model and ends; a second message with another name follows on the stream.
        byte[] body = [.. Frames.Frame(Frames.StringField(1, "tabular")), .. Frames.Frame(RealRequest("digits", "1").ToByteArray())];

        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), isCompleted: false);

        Assert.Equal(LeadingFieldsStatus.Ok, fields.Status);
        Assert.Equal("tabular", Frames.Text(body, fields.Name));
        Assert.Null(fields.Version);
    }

    [Fact]
    public void Parse_NoVersion_NameOnly()
    {
        var body = Frames.Frame(RealRequest("tabular", "").ToByteArray());

        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), true);

        Assert.Equal(LeadingFieldsStatus.Ok, fields.Status);
        Assert.Equal("tabular", Frames.Text(body, fields.Name));
        Assert.Null(fields.Version);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    public void Parse_SplitAcrossSegments_SameAnswer(int segmentLength)
    {
        var body = Frames.Frame(RealRequest("my-model_2.v1", "12").ToByteArray());

        var fields = GrpcLeadingFields.Parse(Frames.Segmented(body, segmentLength), true);

        Assert.Equal(LeadingFieldsStatus.Ok, fields.Status);
        Assert.Equal("my-model_2.v1", Frames.Text(body, fields.Name));
        Assert.Equal("12", Frames.Text(body, fields.Version));
    }

    [Fact]
    public void Parse_EveryPrefix_NeedsMoreDataOrSucceeds_NeverFails()
    {
        var body = Frames.Frame(RealRequest("tabular", "2").ToByteArray());
        for (var n = 0; n < 30; n++)
        {
            var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body, 0, n), isCompleted: false);
            Assert.NotEqual(LeadingFieldsStatus.Invalid, fields.Status);
        }
    }

    [Fact]
    public void Parse_VersionBeforeName_BothFound()
    {
        var body = Frames.Frame(Frames.Concat(Frames.StringField(2, "3"), Frames.StringField(1, "tabular")));

        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), true);

        Assert.Equal("tabular", Frames.Text(body, fields.Name));
        Assert.Equal("3", Frames.Text(body, fields.Version));
    }

    [Fact]
    public void Parse_RepeatedName_LastOneWins()
    {
        var body = Frames.Frame(Frames.Concat(Frames.StringField(1, "first"), Frames.StringField(1, "second")));

        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), true);

        Assert.Equal("second", Frames.Text(body, fields.Name));
    }

    [Fact]
    public void Parse_LaterFieldFirst_StopsThere_NameNotFound()
    {
        var body = Frames.Frame(Frames.Concat(Frames.StringField(3, "request-id"), Frames.StringField(1, "tabular")));

        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), true);

        Assert.Equal(LeadingFieldsStatus.Ok, fields.Status);
        Assert.Null(fields.Name);
    }

    [Fact]
    public void Parse_EmptyMessage_OkWithoutName()
    {
        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(Frames.Frame([])), true);

        Assert.Equal(LeadingFieldsStatus.Ok, fields.Status);
        Assert.Null(fields.Name);
    }

    [Theory]
    [InlineData(new byte[0], "no message")]
    [InlineData(new byte[] { 0, 0, 0 }, "5-byte gRPC message header")]
    [InlineData(new byte[] { 1, 0, 0, 0, 0 }, "the message is compressed")]
    [InlineData(new byte[] { 7, 0, 0, 0, 0 }, "compressed flag 7")]
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0x0A, 0x80 }, "truncated")]
    [InlineData(new byte[] { 0, 0, 0, 0, 1, 0x80 }, "truncated")]
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0x02, 0x00 }, "invalid field number")]
    [InlineData(new byte[] { 0, 0, 0, 0, 2, 0x08, 0x01 }, "wire type 0")]
    [InlineData(new byte[] { 0, 0, 0, 0, 3, 0x0A, 0x05, 0x61 }, "runs past the end of the message")]
    [InlineData(new byte[] { 0, 0, 0, 0, 9, 0x0A, 0x07, 0x61 }, "truncated")]
    [InlineData(new byte[] { 0, 0, 0, 0, 100, 0x61, 0x62, 0x63 }, "the message is truncated: its header says 100 bytes, the request ended after 3")]
    [InlineData(new byte[] { 0, 0, 0, 0, 12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, "not a valid varint")]
    public void Parse_Malformed_InvalidWithReason(byte[] body, string reason)
    {
        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), isCompleted: true);

        Assert.Equal(LeadingFieldsStatus.Invalid, fields.Status);
        Assert.Contains(reason, fields.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TruncatedButMoreToCome_NeedsMoreData()
    {
        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 0, 9, 0x0A, 0x07, 0x61 }), isCompleted: false);

        Assert.Equal(LeadingFieldsStatus.NeedMoreData, fields.Status);
    }

    [Fact]
    public void Parse_NameOverLimit_Invalid()
    {
        var body = Frames.Frame(Frames.StringField(1, new string('a', GrpcLeadingFields.MaxFieldBytes + 1)));

        var fields = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), true);

        Assert.Equal(LeadingFieldsStatus.Invalid, fields.Status);
        Assert.Contains("model_name is too long", fields.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RandomBytes_NeverThrows()
    {
        var random = new Random(42);
        for (var i = 0; i < 5000; i++)
        {
            var body = new byte[random.Next(0, 64)];
            random.NextBytes(body);
            if (body.Length > 0 && random.Next(2) == 0)
            {
                body[0] = 0;
            }

            _ = GrpcLeadingFields.Parse(new ReadOnlySequence<byte>(body), random.Next(2) == 0);
        }
    }

    private static ModelInferRequest RealRequest(string model, string version, int rawBytes = 16)
    {
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version, Id = "id-1" };
        request.Parameters["timeout"] = new InferParameter { Int64Param = 1000 };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32" };
        input.Shape.AddRange([1, rawBytes / 4]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[rawBytes]));
        return request;
    }
}
