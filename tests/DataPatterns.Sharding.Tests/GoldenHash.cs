namespace DataPatterns.Sharding.Tests;

/// <summary>Values computed once by the first release and pinned forever (see StableKeyHashTests).</summary>
internal static class GoldenHash
{
    public const ulong Long42 = 15395265915043915720;
    public const ulong StringTenant = 7061958536135975107;
    public const ulong GuidKnown = 16877169261764423364;
    public const int JumpOf42Over16 = 3;
}
