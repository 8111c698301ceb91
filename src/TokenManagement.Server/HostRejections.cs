using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace TokenManagement.Server;

/// <summary>
/// Requests Kestrel rejects before any middleware runs (a request line past 8 KiB: 414; headers past 32 KiB: 431;
/// bad framing such as a negative Content-Length, a %00 in the path, a missing Host: 400) are answered by Kestrel
/// itself with an empty body, and no hook exists for them. This connection middleware sits between Kestrel and the
/// socket and replaces exactly those answers with the contract's JSON error body, and logs them.
/// </summary>
/// <remarks>
/// Kestrel reports why it rejected a request to its "BadRequests" logger just before it writes the answer; the
/// reason is taken from there (<see cref="ReasonCapture"/>). Details that would quote the request are off, because
/// Kestrel only adds them when Information logging is on, which this capture never asks for.
/// </remarks>
internal sealed class HostRejections
{
    private readonly ConcurrentDictionary<string, string> _reasons = new(StringComparer.Ordinal);
    private readonly RequestLog _log;

    public HostRejections(RequestLog log) => _log = log;

    public ILoggerProvider ReasonCapture => new ReasonCaptureProvider(_reasons);

    public void Configure(ListenOptions listen)
    {
        // HTTP/1.1 only: the contract's protocol, and the one whose rejections this class knows how to read.
        listen.Protocols = HttpProtocols.Http1;
        listen.Use(next => async connection =>
        {
            var transport = connection.Transport;
            var output = new RejectionRewriter(transport.Output, connection.ConnectionId, this);
            connection.Transport = new DuplexPipe(transport.Input, output);
            try { await next(connection); }
            finally
            {
                connection.Transport = transport;
                _reasons.TryRemove(connection.ConnectionId, out _);
            }
        });
    }

    private string TakeReason(string connectionId) => _reasons.TryRemove(connectionId, out var reason) ? reason : "";

    /// <summary>The JSON answer for Kestrel's bare one, or null when the bytes are not such an answer.</summary>
    internal byte[]? Rewrite(ReadOnlySpan<byte> written, string connectionId)
    {
        if (!BareRejection.TryRead(written, out var status, out var headerLines)) { return null; }
        var reason = Describe(TakeReason(connectionId));
        var requestId = RequestIds.New();
        // A malformed HTTP version is Kestrel's 505; to a client it is a bad request like any other.
        if (status == 505) { status = 400; }
        var message = status switch
        {
            414 => $"The request line (method, path and query) is longer than {ServerOptions.MaxRequestLineBytes / 1024} KiB.",
            431 => $"The request headers are larger than {ServerOptions.MaxRequestHeadersBytes / 1024} KiB or more than {ServerOptions.MaxRequestHeaderCount}.",
            408 => "The request did not arrive in time.",
            _ => reason.Length > 0 ? $"The request is not valid HTTP/1.1: {reason}" : "The request is not valid HTTP/1.1.",
        };
        var body = JsonSerializer.SerializeToUtf8Bytes(new ErrorDto { Code = "InvalidRequest", Message = message }, Json.Options);
        var head = new StringBuilder();
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {ReasonPhrase(status)}\r\n");
        foreach (var line in headerLines)
        {
            if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase)) { continue; }
            head.Append(line).Append("\r\n");
        }
        head.Append("Content-Type: application/json; charset=utf-8\r\n");
        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
        head.Append($"{RequestIds.Header}: {requestId}\r\n\r\n");
        _log.Write(string.Create(CultureInfo.InvariantCulture,
            $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} - - {status} 0.0ms account=- user=- request={requestId} rejected=\"{message.Replace('"', '\'')}\""));
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. body];
    }

    /// <summary>Kestrel's reason without its (empty, since details are off) quotation: "Invalid request target: ''".</summary>
    private static string Describe(string reason)
    {
        reason = reason.Trim();
        if (reason.EndsWith(": ''", StringComparison.Ordinal)) { reason = reason[..^4]; }
        reason = ApiError.Echo(reason);
        return reason.Length == 0 || reason.EndsWith('.') ? reason : reason + ".";
    }

    private static string ReasonPhrase(int status) => status switch
    {
        400 => "Bad Request",
        408 => "Request Timeout",
        414 => "URI Too Long",
        431 => "Request Header Fields Too Large",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status),
    };

    /// <summary>What Kestrel writes when it rejects a request: an error status line, headers with Content-Length: 0, no body.</summary>
    private static class BareRejection
    {
        public static bool TryRead(ReadOnlySpan<byte> written, out int status, out List<string> headerLines)
        {
            status = 0;
            headerLines = [];
            // Every answer the application writes for an error has a JSON body, so an error with an empty body
            // and nothing after its head can only be Kestrel's own.
            if (written.Length > 4096 || !written.StartsWith("HTTP/1.1 "u8) || !written.EndsWith("\r\n\r\n"u8)) { return false; }
            var text = Encoding.ASCII.GetString(written[..^4]);
            var lines = text.Split("\r\n");
            var statusLine = lines[0].Split(' ', 3);
            if (statusLine.Length < 2 || !int.TryParse(statusLine[1], NumberStyles.None, CultureInfo.InvariantCulture, out status) || status < 400) { return false; }
            headerLines = lines.Skip(1).ToList();
            return headerLines.Any(l => l.Equals("Content-Length: 0", StringComparison.OrdinalIgnoreCase))
                && !headerLines.Any(l => l.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase));
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input => input;
        public PipeWriter Output => output;
    }

    /// <summary>
    /// Collects what Kestrel writes until it flushes, then passes it on, rewritten if it is a bare rejection.
    /// Kestrel flushes each answer on its own, so a rejection always starts a flush.
    /// </summary>
    private sealed class RejectionRewriter(PipeWriter inner, string connectionId, HostRejections owner) : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _pending = new(4096);

        public override void Advance(int bytes) => _pending.Advance(bytes);
        public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);
        public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);
        public override bool CanGetUnflushedBytes => true;
        public override long UnflushedBytes => _pending.WrittenCount;
        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            PassOn();
            return inner.FlushAsync(cancellationToken);
        }

        public override void Complete(Exception? exception = null)
        {
            PassOn();
            inner.Complete(exception);
        }

        public override async ValueTask CompleteAsync(Exception? exception = null)
        {
            PassOn();
            await inner.CompleteAsync(exception);
        }

        private void PassOn()
        {
            if (_pending.WrittenCount == 0) { return; }
            var replacement = owner.Rewrite(_pending.WrittenSpan, connectionId);
            inner.Write(replacement ?? _pending.WrittenSpan);
            _pending.ResetWrittenCount();
        }
    }

    private sealed class ReasonCaptureProvider(ConcurrentDictionary<string, string> reasons) : ILoggerProvider
    {
        private const string Category = "Microsoft.AspNetCore.Server.Kestrel.BadRequests";

        public ILogger CreateLogger(string categoryName) => categoryName == Category ? new ReasonLogger(reasons) : NullLogger.Instance;

        public void Dispose() { }
    }

    private sealed class ReasonLogger(ConcurrentDictionary<string, string> reasons) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // Debug only: Kestrel quotes request bytes in its reasons when Information is enabled, and those may hold a secret.
        public bool IsEnabled(LogLevel logLevel) => logLevel == LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (exception is not Microsoft.AspNetCore.Http.BadHttpRequestException rejected) { return; }
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values
                && values.FirstOrDefault(v => v.Key == "ConnectionId").Value is string connectionId)
            {
                reasons[connectionId] = rejected.Message;
            }
        }
    }

    private sealed class NullLogger : ILogger
    {
        public static readonly NullLogger Instance = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => false;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) { }
    }
}
