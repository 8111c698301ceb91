using System.Net.Http.Headers;
using System.Security;

namespace TokenManagement.Client.Internal;

/// <summary>
/// Adds the Basic credential to each attempt at send time, from the SecureString, and removes it from the
/// request again once the attempt is over, so that nothing later (a log, a debugger view) finds it there.
/// </summary>
internal sealed class AuthenticationHandler : DelegatingHandler
{
    private readonly string _userId;
    private readonly SecureString _token;

    public AuthenticationHandler(string userId, SecureString token)
    {
        _userId = userId;
        _token = token;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Secrets.BasicParameter(_userId, _token));
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            request.Headers.Authorization = null;
        }
    }
}
