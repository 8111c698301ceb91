using System.Net.Sockets;
using System.Text;

namespace TokenManagement.Server.Tests;

/// <summary>
/// HTTP/1.1 by hand over a socket: for requests HttpClient refuses to send (bad framing, a %00 in the path, a
/// request line past Kestrel's limit), and to see exactly what comes back.
/// </summary>
public static class RawHttp
{
    public sealed record Response(int Status, IReadOnlyDictionary<string, string> Headers, string Body)
    {
        public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
    }

    /// <summary>Sends the bytes, reads until the server closes (or <paramref name="timeout"/>), and parses every answer.</summary>
    public static async Task<IReadOnlyList<Response>> SendAsync(Uri root, byte[] request, TimeSpan? timeout = null, bool endAfterSending = false)
    {
        using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        using var client = new TcpClient();
        await client.ConnectAsync(root.Host, root.Port, cancel.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request, cancel.Token);
            // Half-close: a request cut short then ends at the end of the stream instead of waiting for more bytes.
            if (endAfterSending) { client.Client.Shutdown(SocketShutdown.Send); }
        }
        catch (Exception e) when (e is IOException or SocketException) { } // the server may answer and close before it read everything
        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancel.Token)) > 0) { received.Write(buffer, 0, read); }
        }
        catch (Exception e) when (e is IOException or SocketException) { } // a reset after the answer
        catch (OperationCanceledException) when (cancel.IsCancellationRequested) { }
        if (cancel.IsCancellationRequested) { throw new TimeoutException("The server neither answered nor closed the connection in time."); }
        return Parse(received.ToArray());
    }

    public static Task<IReadOnlyList<Response>> SendAsync(Uri root, string latin1Request, TimeSpan? timeout = null) =>
        SendAsync(root, Encoding.Latin1.GetBytes(latin1Request), timeout);

    public static string BasicAuthorization(ApiClient client) =>
        "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"BOOMI_TOKEN.{client.User}:{client.Token}")) + "\r\n";

    private static IReadOnlyList<Response> Parse(byte[] bytes)
    {
        var responses = new List<Response>();
        var position = 0;
        while (position < bytes.Length)
        {
            var headEnd = IndexOf(bytes, "\r\n\r\n"u8.ToArray(), position);
            if (headEnd < 0) { throw new InvalidDataException("An answer without the end of its head: " + Encoding.Latin1.GetString(bytes, position, bytes.Length - position)); }
            var lines = Encoding.Latin1.GetString(bytes, position, headEnd - position).Split("\r\n");
            var status = int.Parse(lines[0].Split(' ')[1]);
            var headers = lines.Skip(1).Select(l => l.Split(':', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.OrdinalIgnoreCase);
            position = headEnd + 4;
            var body = new MemoryStream();
            if (headers.TryGetValue("Content-Length", out var length))
            {
                body.Write(bytes, position, int.Parse(length));
                position += int.Parse(length);
            }
            else if (headers.TryGetValue("Transfer-Encoding", out var encoding) && encoding.Contains("chunked"))
            {
                while (true)
                {
                    var lineEnd = IndexOf(bytes, "\r\n"u8.ToArray(), position);
                    var size = Convert.ToInt32(Encoding.ASCII.GetString(bytes, position, lineEnd - position).Split(';')[0], 16);
                    position = lineEnd + 2;
                    if (size == 0) { position += 2; break; }
                    body.Write(bytes, position, size);
                    position += size + 2;
                }
            }
            else if (status is not (204 or 304))
            {
                body.Write(bytes, position, bytes.Length - position);
                position = bytes.Length;
            }
            responses.Add(new Response(status, headers, Encoding.UTF8.GetString(body.ToArray())));
        }
        return responses;
    }

    private static int IndexOf(byte[] haystack, byte[] needle, int start)
    {
        for (var i = start; i <= haystack.Length - needle.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) { return i; }
        }
        return -1;
    }
}
