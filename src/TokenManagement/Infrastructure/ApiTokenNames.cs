namespace TokenManagement.Infrastructure;

/// <summary>The contract's name rule, checked before any request: 1 to 100 characters, no control characters.</summary>
internal static class ApiTokenNames
{
    public const int MaxLength = 100;

    /// <summary>Null when the name is valid, otherwise what is wrong with it.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "A token name cannot be empty.";
        }

        if (name!.Length > MaxLength)
        {
            return $"A token name has at most {MaxLength} characters; this one has {name.Length}.";
        }

        foreach (char c in name)
        {
            if (char.IsControl(c))
            {
                return "A token name cannot contain control characters (tabs, line breaks, ...).";
            }
        }

        return null;
    }
}
