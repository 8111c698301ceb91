using System.Collections;
using System.Management.Automation;

namespace TokenManagement.Infrastructure;

/// <summary>
/// -InputObject of the target cmdlets. A live <see cref="ApiToken"/> (which only the module creates) passes as it
/// is. Anything else that names a token (a hashtable, a PSCustomObject, an Import-Csv row, a deserialized token)
/// becomes an unverified reference holding only its Id (or, without one, its Name), which the cmdlet looks up
/// through the service before it asks or acts: the rest of such an object is never believed. Strings and other
/// scalars pass unchanged, so that they bind to -Name.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ApiTokenReferenceTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        switch (value)
        {
            case null:
            case ApiToken:
            case string:
            case ValueType:
            case System.Security.SecureString: // a leaked value binds to Remove-ApiToken -Token
                return inputData;
            case IDictionary dictionary:
                return Reference(Entry(dictionary, nameof(ApiToken.Id)), Entry(dictionary, nameof(ApiToken.Name)));
            default:
                PSObject item = PSObject.AsPSObject(inputData);
                return Reference(Property(item, nameof(ApiToken.Id)), Property(item, nameof(ApiToken.Name)));
        }
    }

    private static ApiToken Reference(string? id, string? name) =>
        new() { Id = id ?? "", Name = string.IsNullOrEmpty(id) ? name ?? "" : "" };

    internal static string? Entry(IDictionary dictionary, string key)
    {
        foreach (DictionaryEntry entry in dictionary)
        {
            if (string.Equals(entry.Key as string, key, StringComparison.OrdinalIgnoreCase))
            {
                return Text(entry.Value);
            }
        }

        return null;
    }

    private static string? Property(PSObject item, string name) => Text(item.Properties[name]?.Value);

    private static string? Text(object? value) =>
        value is null ? null : LanguagePrimitives.ConvertTo<string>(value is PSObject p ? p.BaseObject : value);
}

/// <summary>
/// -Name of New-ApiToken: a hashtable's Name entry (PowerShell binds by property name only for objects, so
/// <c>@{Name='x'} | New-ApiToken</c> would otherwise create a token named System.Collections.Hashtable).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ApiTokenNameTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        if (value is IDictionary dictionary)
        {
            return ApiTokenReferenceTransformationAttribute.Entry(dictionary, nameof(ApiToken.Name))
                ?? throw new ArgumentTransformationMetadataException("The hashtable has no Name entry.");
        }

        return inputData;
    }
}

/// <summary>Each value is a valid PowerShell wildcard pattern (checked at binding, so no pattern error comes later).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateWildcardPatternAttribute : ValidateEnumeratedArgumentsAttribute
{
    protected override void ValidateElement(object element)
    {
        string text = element is PSObject p ? p.BaseObject?.ToString() ?? "" : element?.ToString() ?? "";
        try
        {
            _ = new WildcardPattern(text).IsMatch("");
        }
        catch (WildcardPatternException exception)
        {
            throw new ValidationMetadataException(
                $"'{text}' is not a valid wildcard pattern: {exception.Message} Escape [ and ] with a backtick (`[) to match them literally.", exception);
        }
    }
}

/// <summary>Not null, empty or only white space (PowerShell 5.1 has no ValidateNotNullOrWhiteSpace).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateNotBlankAttribute : ValidateArgumentsAttribute
{
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        object? value = arguments is PSObject p ? p.BaseObject : arguments;
        if (value is not string text || text.Trim().Length == 0)
        {
            throw new ValidationMetadataException("The argument is empty or white space. Supply a value, e.g. the account id shown in the platform's Settings (acme-A1B2C3).");
        }
    }
}

/// <summary>A request rate the client can keep: 0 (no ceiling) or 0.01 to 10,000 per second.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateRequestRateAttribute : ValidateArgumentsAttribute
{
    internal const double Minimum = 0.01;
    internal const double Maximum = 10000;

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        double rate = LanguagePrimitives.ConvertTo<double>(arguments is PSObject p ? p.BaseObject : arguments);
        if (double.IsNaN(rate) || (rate != 0 && (rate < Minimum || rate > Maximum)))
        {
            throw new ValidationMetadataException($"{rate} is not a request rate the client can keep: use 0 (no ceiling) or {Minimum} to {Maximum} requests per second.");
        }
    }
}

/// <summary>
/// Each value is a token prefix: the first 6 characters of a token value. Values are UUID-formatted from lowercase
/// hexadecimal digits (docs/api.md), and the service compares prefixes case-sensitively, so exactly [0-9a-f]{6}.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateTokenPrefixAttribute : ValidateEnumeratedArgumentsAttribute
{
    internal const int Length = 6;

    protected override void ValidateElement(object element)
    {
        string text = element is PSObject p ? p.BaseObject?.ToString() ?? "" : element?.ToString() ?? "";
        if (text.Length != Length || !text.All(c => (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        {
            throw new ValidationMetadataException(
                $"'{text}' is not a token prefix: a prefix is the first {Length} characters of a token value, lowercase hexadecimal digits (0-9, a-f), e.g. 123aab.");
        }
    }
}
