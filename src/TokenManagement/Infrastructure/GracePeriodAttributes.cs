using System.Globalization;
using System.Management.Automation;

namespace TokenManagement.Infrastructure;

/// <summary>-GracePeriod: a number is seconds (PowerShell alone would read it as ticks); a TimeSpan or "00:05:00" as it is.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class GracePeriodTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            int or long or short or byte or double or float or decimal => TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) => TimeSpan.FromSeconds(seconds),
            _ => inputData,
        };
    }
}

/// <summary>-GracePeriod from 0 to 1 day.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateGracePeriodAttribute : ValidateArgumentsAttribute
{
    internal static readonly TimeSpan Max = TimeSpan.FromDays(1);

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        object value = arguments is PSObject wrapped ? wrapped.BaseObject : arguments;
        if (value is not TimeSpan period || period < TimeSpan.Zero || period > Max)
        {
            throw new ValidationMetadataException($"The grace period must be from 0 to {Max} (a TimeSpan, or a number of seconds).");
        }
    }
}
