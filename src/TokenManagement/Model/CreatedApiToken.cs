namespace TokenManagement;

/// <summary>A token just created: the only object that ever carries the token's value.</summary>
public class CreatedApiToken : ApiToken
{
    internal CreatedApiToken()
    {
    }

    /// <summary>The value: a SecureString, or a string when New-ApiToken ran with -AsPlainText.</summary>
    public object? Token { get; internal set; }
}
