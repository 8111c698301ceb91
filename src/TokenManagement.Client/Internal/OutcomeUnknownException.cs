namespace TokenManagement.Client.Internal;

/// <summary>
/// A request that is not safe to repeat (create, update) got no answer: it may or may not have been carried out.
/// Thrown by the retry policy instead of resending; the client reconciles by reading back.
/// </summary>
internal sealed class OutcomeUnknownException : Exception
{
    public OutcomeUnknownException(string reason, Exception? inner)
        : base("The service gave no usable answer: " + reason, inner)
    {
        Reason = reason;
    }

    /// <summary>E.g. "no answer within 100 s" or "connection refused".</summary>
    public string Reason { get; }
}
