using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace Serving.Hosting.Http;

/// <summary>
/// Inflates gzip, deflate (zlib's format, as HTTP and gRPC mean it) or br, and refuses compressed data that stops before
/// its end, with an <see cref="InvalidDataException"/> that says so (<see cref="Reason"/> gives its words). Data its
/// decoders can't inflate is an <see cref="InvalidDataException"/> too, whichever way the decoder said so.
/// </summary>
/// <remarks>
/// .NET's decoders give what they could inflate and no error when the compressed bytes are cut short: a client that
/// takes its buffer before it closes its compressor sends just that, and the body read as a shorter one (a protobuf
/// message cut between two fields still parses). gzip and zlib end in a trailer that checks what was inflated (CRC-32
/// and size; Adler-32): it is compared here once the decoder has nothing more to give, together with that no byte
/// follows it. Brotli has no trailer; its decoder says whether the stream ended, so br is decoded here with
/// <see cref="BrotliDecoder"/>. A gzip body of several members (<c>cat a.gz b.gz</c>) is refused too: the trailer read is
/// the last member's, and the check covers the whole body; no HTTP or gRPC client sends one. No bytes at all are an empty
/// body, in each encoding: .NET's own compressors write nothing for nothing.
/// </remarks>
public sealed class CheckedInflateStream : ReadOnlyStream
{
    private const int TrailerBytes = 8;
    private const uint AdlerModulus = 65521;

    // Adler-32's sums stay under 2^32 for this many bytes between reductions (zlib's NMAX).
    private const int AdlerChunk = 5552;

    private readonly Stream _source;
    private readonly Format _format;
    private readonly bool _leaveOpen;
    private readonly TailStream? _tail;
    private readonly Stream? _inflater;
    private readonly Crc32? _crc;
    private uint _adlerA = 1;
    private uint _adlerB;
    private long _length;
    private bool _ended;

    // br: the decoder and the compressed bytes it has not taken yet.
    private BrotliDecoder _brotli;
    private byte[]? _input;
    private int _inputStart;
    private int _inputEnd;
    private bool _sourceEnded;
    private long _sourceBytes;

    private CheckedInflateStream(Stream source, Format format, bool leaveOpen)
    {
        _source = source;
        _format = format;
        _leaveOpen = leaveOpen;
        switch (format)
        {
            case Format.Gzip:
                _tail = new TailStream(source);
                _inflater = new GZipStream(_tail, CompressionMode.Decompress, leaveOpen: true);
                _crc = new Crc32();
                break;
            case Format.Zlib:
                _tail = new TailStream(source);
                _inflater = new ZLibStream(_tail, CompressionMode.Decompress, leaveOpen: true);
                break;
            default:
                _brotli = new BrotliDecoder();
                _input = ArrayPool<byte>.Shared.Rent(16 * 1024);
                break;
        }
    }

    private enum Format
    {
        Gzip,
        Zlib,
        Brotli,
    }

    /// <summary>
    /// The inflating stream of <paramref name="encoding"/> (<c>gzip</c>, <c>deflate</c> or <c>br</c>, in any case) over
    /// <paramref name="compressed"/>; null for another encoding.
    /// </summary>
    public static CheckedInflateStream? Create(Stream compressed, string encoding, bool leaveOpen = false)
    {
        Format? format = encoding.Trim() switch
        {
            var e when e.Equals("gzip", StringComparison.OrdinalIgnoreCase) => Format.Gzip,
            var e when e.Equals("deflate", StringComparison.OrdinalIgnoreCase) => Format.Zlib,
            var e when e.Equals("br", StringComparison.OrdinalIgnoreCase) => Format.Brotli,
            _ => null,
        };
        return format is { } f ? new CheckedInflateStream(compressed, f, leaveOpen) : null;
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty || _ended)
        {
            return 0;
        }

        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = ReadCoreAsync(rented.AsMemory(0, buffer.Length), synchronous: true, CancellationToken.None).GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        buffer.IsEmpty || _ended ? ValueTask.FromResult(0) : ReadCoreAsync(buffer, synchronous: false, cancellationToken);

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inflater?.Dispose();
            if (_input is { } input)
            {
                _input = null;
                _brotli.Dispose();
                ArrayPool<byte>.Shared.Return(input);
            }

            if (!_leaveOpen)
            {
                _source.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>The words of an exception this stream threw for its data; null for any other (a decoder's own are not worth showing).</summary>
    public static string? Reason(Exception exception) =>
        exception is InvalidDataException && exception.Data.Contains(typeof(CheckedInflateStream)) ? exception.Message : null;

    private static InvalidDataException NotValid(string message) => new(message) { Data = { [typeof(CheckedInflateStream)] = true } };

    private static InvalidDataException CutShort(string what, string orElse = "") => NotValid(
        $"the {what} data stops before its end (cut short: a compressor's output is whole only once the compressor is closed; send all of it){orElse}");

    private async ValueTask<int> ReadCoreAsync(Memory<byte> buffer, bool synchronous, CancellationToken cancellationToken)
    {
        if (_format == Format.Brotli)
        {
            return await ReadBrotliAsync(buffer, synchronous, cancellationToken).ConfigureAwait(false);
        }

        int read;
        try
        {
            read = synchronous
                ? _inflater!.Read(buffer.Span)
                : await _inflater!.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not InvalidDataException && CompressedData.IsNotValid(e))
        {
            // zlib's own word for data it won't take (ZLibException, an IOException: a header asking for a preset
            // dictionary): the one way every reader of this stream hears of data that is not valid.
            throw new InvalidDataException(e.Message, e);
        }
        if (read > 0)
        {
            Add(buffer.Span[..read]);
            return read;
        }

        _ended = true;
        await EnsureNothingFollowsAsync(_tail!, synchronous, cancellationToken).ConfigureAwait(false);
        CheckTrailer();
        return 0;
    }

    private void Add(ReadOnlySpan<byte> inflated)
    {
        _length += inflated.Length;
        if (_crc is { } crc)
        {
            crc.Append(inflated);
            return;
        }

        // Adler-32 (RFC 1950), zlib's trailer.
        uint a = _adlerA, b = _adlerB;
        while (!inflated.IsEmpty)
        {
            var chunk = inflated[..Math.Min(inflated.Length, AdlerChunk)];
            foreach (var value in chunk)
            {
                a += value;
                b += a;
            }

            a %= AdlerModulus;
            b %= AdlerModulus;
            inflated = inflated[chunk.Length..];
        }

        _adlerA = a;
        _adlerB = b;
    }

    private void CheckTrailer()
    {
        var tail = _tail!;
        if (tail.Count == 0)
        {
            return;
        }

        if (_format == Format.Gzip)
        {
            // CRC-32 and the size modulo 2^32, both little-endian (RFC 1952).
            if (tail.Count < TrailerBytes
                || BinaryPrimitives.ReadUInt32LittleEndian(tail.Last8) != _crc!.GetCurrentHashAsUInt32()
                || BinaryPrimitives.ReadUInt32LittleEndian(tail.Last8[4..]) != (uint)_length)
            {
                throw CutShort("gzip", ", or holds more than one gzip member (send one)");
            }

            return;
        }

        // zlib: a 2-byte header, the deflate data, and the Adler-32 big-endian (RFC 1950).
        if (tail.Count < 2 + 4 || BinaryPrimitives.ReadUInt32BigEndian(tail.Last8[4..]) != ((_adlerB << 16) | _adlerA))
        {
            throw CutShort("deflate (zlib)", ", or bytes follow its end");
        }
    }

    // The decoder stops at the end of its format: a byte after it would be ignored, or (after a zlib trailer it read past)
    // taken for the trailer. Either way the body is not what its encoding says.
    private static async ValueTask EnsureNothingFollowsAsync(Stream source, bool synchronous, CancellationToken cancellationToken)
    {
        var probe = new byte[1];
        var more = synchronous ? source.Read(probe) : await source.ReadAsync(probe, cancellationToken).ConfigureAwait(false);
        if (more > 0)
        {
            throw NotValid("bytes follow the end of the compressed data");
        }
    }

    private async ValueTask<int> ReadBrotliAsync(Memory<byte> buffer, bool synchronous, CancellationToken cancellationToken)
    {
        var input = _input ?? throw new ObjectDisposedException(nameof(CheckedInflateStream));
        while (true)
        {
            var status = _brotli.Decompress(input.AsSpan(_inputStart, _inputEnd - _inputStart), buffer.Span, out var consumed, out var written);
            _inputStart += consumed;
            switch (status)
            {
                case OperationStatus.Done:
                    if (written > 0)
                    {
                        return written;
                    }

                    _ended = true;
                    if (_inputStart < _inputEnd)
                    {
                        throw NotValid("bytes follow the end of the compressed data");
                    }

                    await EnsureNothingFollowsAsync(_source, synchronous, cancellationToken).ConfigureAwait(false);
                    return 0;
                case OperationStatus.DestinationTooSmall:
                    return written;
                case OperationStatus.InvalidData:
                    throw NotValid("the data is not valid brotli");
            }

            // NeedMoreData.
            if (written > 0)
            {
                return written;
            }

            if (_sourceEnded)
            {
                _ended = true;
                return _sourceBytes == 0 ? 0 : throw CutShort("brotli");
            }

            if (_inputStart > 0)
            {
                input.AsSpan(_inputStart, _inputEnd - _inputStart).CopyTo(input);
                _inputEnd -= _inputStart;
                _inputStart = 0;
            }

            var room = input.AsMemory(_inputEnd);
            var read = synchronous ? _source.Read(room.Span) : await _source.ReadAsync(room, cancellationToken).ConfigureAwait(false);
            _inputEnd += read;
            _sourceBytes += read;
            _sourceEnded = read == 0;
        }
    }

    /// <summary>The compressed source, keeping the last bytes read from it (where gzip's and zlib's trailers are).</summary>
    private sealed class TailStream(Stream source) : ReadOnlyStream
    {
        private readonly byte[] _last = new byte[TrailerBytes];

        /// <summary>Bytes read, in all.</summary>
        public long Count { get; private set; }

        /// <summary>The last 8 bytes read (fewer, zero-padded in front, while <see cref="Count"/> is under 8).</summary>
        public ReadOnlySpan<byte> Last8 => _last;

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = source.Read(buffer);
            Keep(buffer[..read]);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            Keep(buffer.Span[..read]);
            return read;
        }

        private void Keep(ReadOnlySpan<byte> read)
        {
            Count += read.Length;
            if (read.Length >= TrailerBytes)
            {
                read[^TrailerBytes..].CopyTo(_last);
                return;
            }

            // Shift the kept bytes left by what came, and put it behind them.
            _last.AsSpan(read.Length).CopyTo(_last);
            read.CopyTo(_last.AsSpan(TrailerBytes - read.Length));
        }
    }
}
