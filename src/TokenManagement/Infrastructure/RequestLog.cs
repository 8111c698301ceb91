using Api = TokenManagement.Client;

namespace TokenManagement.Infrastructure;

/// <summary>
/// The client's request observer: each record (method, path, status, time; never a body, header or token) goes to
/// -Verbose of the cmdlet whose async body made the request, through that cmdlet's queue, and a retry to its
/// progress (the client calls this on
/// any thread). Requests made outside a cmdlet body (the argument completer) are not shown.
/// </summary>
internal static class RequestLog
{
    public static void Forward(Api.RequestRecord record)
    {
        if (AsyncPSCmdlet.Current is not { } cmdlet)
        {
            return;
        }

        cmdlet.TryQueueVerbose(record.ToString());
        if (record.WillRetry)
        {
            cmdlet.RetryObserver?.Invoke($"{record.Method} {record.Path}: {record.Note}");
        }
    }
}
