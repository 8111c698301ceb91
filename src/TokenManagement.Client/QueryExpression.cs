namespace TokenManagement.Client;

/// <summary>The platform's QueryFilter grammar: nested and/or groups of simple comparisons.</summary>
public abstract class QueryExpression
{
    public static GroupingExpression And(params QueryExpression[] nested) => new("and", nested);
    public static GroupingExpression Or(params QueryExpression[] nested) => new("or", nested);

    public static SimpleExpression Compare(string property, string @operator, params string[] arguments) =>
        new(@operator, property, arguments);
}

public sealed class GroupingExpression : QueryExpression
{
    public GroupingExpression(string @operator, IReadOnlyList<QueryExpression> nested)
    {
        Operator = @operator;
        Nested = nested;
    }

    /// <summary><c>and</c> or <c>or</c>.</summary>
    public string Operator { get; }
    public IReadOnlyList<QueryExpression> Nested { get; }
}

public sealed class SimpleExpression : QueryExpression
{
    public SimpleExpression(string @operator, string property, IReadOnlyList<string> arguments)
    {
        Operator = @operator;
        Property = property;
        Arguments = arguments;
    }

    /// <summary>EQUALS, NOT_EQUALS, LIKE, STARTS_WITH, BETWEEN, GREATER_THAN, ..., IS_NULL, IS_NOT_NULL.</summary>
    public string Operator { get; }

    /// <summary>ApiToken: id, name, userId, status, tokenPrefix, createdDate, lastUsedDate, token. AuditLog: date, userId,
    /// ownerUserId, action, tokenId, level, outcome.</summary>
    public string Property { get; }
    public IReadOnlyList<string> Arguments { get; }
}
