using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Serving.Testing;

/// <summary>
/// A TCP proxy on 127.0.0.1 and a free port in front of a real <c>redis-server</c>, switched at run time to the failures a
/// real network gives: a blackhole (connections are accepted and nothing goes either way until it lifts, as a partition
/// that TCP rides out), a delay on every reply, replies cut off half way (then the connection closed), connections reset
/// (RST), or an answer that is not the server's (bytes that are no RESP, or an error reply such as <c>-LOADING</c>, one per
/// command). It applies to the connections open now and to those made later.
/// </summary>
public sealed class RedisProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Link, byte> _links = new();
    private readonly Task _accepting;
    private volatile Behaviour _behaviour = Behaviour.Forward;
    private int _held;
    private int _resets;
    private TaskCompletionSource _changed = NewSignal();

    private RedisProxy(int target)
    {
        _target = target;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The port it listens on.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string through it.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000";

    /// <summary>Chunks (of commands or replies) a blackhole holds now: a command sent into it shows here.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Connections reset so far.</summary>
    public int Resets => Volatile.Read(ref _resets);

    /// <summary>Connections accepted so far (open or closed).</summary>
    public int Accepted { get; private set; }

    /// <summary>Starts a proxy in front of the server listening on <paramref name="targetPort"/>, forwarding.</summary>
    public static RedisProxy Start(int targetPort) => new(targetPort);

    /// <summary>Passes everything both ways, and delivers what a blackhole held.</summary>
    public void Forward() => Set(Behaviour.Forward);

    /// <summary>Nothing goes either way (held, delivered when it lifts); new connections are accepted and get nothing.</summary>
    public void Blackhole() => Set(Behaviour.Blackhole);

    /// <summary>Only the connections that subscribed (sent SUBSCRIBE) go dark, as <see cref="Blackhole"/>; the others pass.</summary>
    public void BlackholeSubscribers()
    {
        foreach (var link in _links.Keys.Where(l => l.Subscribed))
        {
            link.Dark = true;
        }

        Signal();
    }

    /// <summary>Every reply waits <paramref name="delay"/> before it goes on (in order).</summary>
    public void Delay(TimeSpan delay)
    {
        ReplyDelay = delay;
        Set(Behaviour.Delay);
    }

    /// <summary>The first half of each reply is passed, then the connection is closed.</summary>
    public void CutMidReply() => Set(Behaviour.Cut);

    /// <summary>Each connection is reset (RST) at its next command, and a new one at once.</summary>
    public void Reset() => Set(Behaviour.Reset);

    /// <summary>
    /// Every command is answered with <paramref name="reply"/> by the proxy (the server never sees it). The connections open
    /// now are closed, and so are those answered when this ends.
    /// </summary>
    public void Answer(string reply) => Answer(Encoding.ASCII.GetBytes(reply), perCommand: true);

    /// <summary>Each chunk of commands is answered with <paramref name="bytes"/>, which need not be RESP (connections closed as by <see cref="Answer(string)"/>).</summary>
    public void AnswerGarbage(byte[] bytes) => Answer(bytes, perCommand: false);

    private TimeSpan ReplyDelay { get; set; }

    private byte[] Reply { get; set; } = [];

    private bool ReplyPerCommand { get; set; }

    private void Answer(byte[] reply, bool perCommand)
    {
        Reply = reply;
        ReplyPerCommand = perCommand;
        Set(Behaviour.Answer);
    }

    private void Set(Behaviour behaviour)
    {
        // The proxy's own answers and the server's can't share a connection (the server's replies owed when it began, or
        // the proxy's after it ends, would be matched to the wrong commands): the connections open then are closed, as when
        // something else takes the server's address.
        var answering = _behaviour == Behaviour.Answer || behaviour == Behaviour.Answer;
        _behaviour = behaviour;
        if (answering)
        {
            foreach (var link in _links.Keys)
            {
                link.Close();
            }
        }

        if (behaviour == Behaviour.Forward)
        {
            foreach (var link in _links.Keys)
            {
                link.Dark = false;
            }
        }

        Signal();
    }

    private void Signal() => Interlocked.Exchange(ref _changed, NewSignal()).TrySetResult();

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Behaviour For(Link link) => link.Dark ? Behaviour.Blackhole : _behaviour;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Accepted++;
            if (_behaviour == Behaviour.Reset)
            {
                Abort(client);
                continue;
            }

            _ = Task.Run(() => RunAsync(client));
        }
    }

    private async Task RunAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        using var link = new Link(client, server);
        _links[link] = 0;
        try
        {
            await server.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _target), _stop.Token).ConfigureAwait(false);
            await Task.WhenAny(UpAsync(link), DownAsync(link)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            _links.TryRemove(link, out _);
        }
    }

    // Client → server: the commands.
    private async Task UpAsync(Link link)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await link.Client.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                var chunk = buffer.AsMemory(0, read);
                link.Sniff(chunk.Span);
                switch (await PastBlackholeAsync(link).ConfigureAwait(false))
                {
                    case Behaviour.Reset:
                        Abort(link.Client);
                        return;
                    case Behaviour.Answer:
                        var count = ReplyPerCommand ? link.Commands(chunk.Span) : 1;
                        for (var i = 0; i < count; i++)
                        {
                            await link.Client.SendAsync(Reply, _stop.Token).ConfigureAwait(false);
                        }

                        break;
                    default:
                        await link.Server.SendAsync(chunk, _stop.Token).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    // Server → client: the replies (and pub/sub messages).
    private async Task DownAsync(Link link)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var read = await link.Server.ReceiveAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    return;
                }

                var chunk = buffer.AsMemory(0, read);
                switch (await PastBlackholeAsync(link).ConfigureAwait(false))
                {
                    case Behaviour.Reset:
                        Abort(link.Client);
                        return;
                    case Behaviour.Answer:
                        break; // the server's own answer to what it got before: the proxy answers now
                    case Behaviour.Cut:
                        await link.Client.SendAsync(chunk[..Math.Max(1, read / 2)], _stop.Token).ConfigureAwait(false);
                        link.Client.Shutdown(SocketShutdown.Both);
                        link.Client.Close();
                        return;
                    case Behaviour.Delay:
                        await Task.Delay(ReplyDelay, _stop.Token).ConfigureAwait(false);
                        await link.Client.SendAsync(chunk, _stop.Token).ConfigureAwait(false);
                        break;
                    default:
                        await link.Client.SendAsync(chunk, _stop.Token).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    // Resets the connection: an RST, not a FIN.
    private void Abort(Socket socket)
    {
        Interlocked.Increment(ref _resets);
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    // Holds a chunk while its link is blackholed; then what to do with it.
    private async Task<Behaviour> PastBlackholeAsync(Link link)
    {
        while (true)
        {
            var changed = Volatile.Read(ref _changed).Task;
            var behaviour = For(link);
            if (behaviour != Behaviour.Blackhole)
            {
                return behaviour;
            }

            Interlocked.Increment(ref _held);
            try
            {
                await changed.WaitAsync(_stop.Token).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _held);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        foreach (var link in _links.Keys)
        {
            link.Dispose();
        }

        await _accepting.ConfigureAwait(false);
        _stop.Dispose();
    }

    private enum Behaviour
    {
        Forward,
        Blackhole,
        Delay,
        Cut,
        Reset,
        Answer,
    }

    /// <summary>One client connection and its connection to the server.</summary>
    private sealed class Link(Socket client, Socket server) : IDisposable
    {
        private static readonly byte[] Subscribe = Encoding.ASCII.GetBytes("SUBSCRIBE");
        private readonly List<byte> _pending = [];

        public Socket Client { get; } = client;

        public Socket Server { get; } = server;

        private volatile bool _dark;

        public bool Subscribed { get; private set; }

        public bool Dark
        {
            get => _dark;
            set => _dark = value;
        }

        public void Sniff(ReadOnlySpan<byte> chunk)
        {
            if (!Subscribed && chunk.IndexOf(Subscribe) >= 0)
            {
                Subscribed = true;
            }
        }

        /// <summary>How many whole commands the bytes so far hold (RESP arrays of bulk strings, or inline lines); the rest waits for the next chunk.</summary>
        public int Commands(ReadOnlySpan<byte> chunk)
        {
            _pending.AddRange(chunk);
            var count = 0;
            var at = 0;
            while (Command(at) is var end and > 0)
            {
                count++;
                at = end;
            }

            _pending.RemoveRange(0, at);
            return count;
        }

        // The end of the command that starts at 'at', or 0 when it is not all here.
        private int Command(int at)
        {
            if (at >= _pending.Count)
            {
                return 0;
            }

            var line = Line(at, out var next);
            if (line is null)
            {
                return 0;
            }

            if (_pending[at] != (byte)'*')
            {
                return next; // an inline command
            }

            var items = int.Parse(line.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture);
            for (var i = 0; i < items; i++)
            {
                var length = Line(next, out var data);
                if (length is null)
                {
                    return 0;
                }

                next = data + int.Parse(length.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) + 2;
                if (next > _pending.Count)
                {
                    return 0;
                }
            }

            return next;
        }

        private string? Line(int at, out int next)
        {
            for (var i = at; i < _pending.Count; i++)
            {
                if (_pending[i] == (byte)'\n')
                {
                    next = i + 1;
                    return Encoding.ASCII.GetString([.. _pending.GetRange(at, i - at)]).TrimEnd('\r');
                }
            }

            next = 0;
            return null;
        }

        public void Close()
        {
            try
            {
                Client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }

            Dispose();
        }

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
        }
    }
}
