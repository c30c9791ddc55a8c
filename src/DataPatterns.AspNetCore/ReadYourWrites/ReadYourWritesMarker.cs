namespace DataPatterns.AspNetCore.ReadYourWrites;

/// <summary>Lets <c>UseReadYourWrites()</c> tell at start-up that <c>AddReadYourWrites()</c> was called.</summary>
internal sealed class ReadYourWritesMarker;
