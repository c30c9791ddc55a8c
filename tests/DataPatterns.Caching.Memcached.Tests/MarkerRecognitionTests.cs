namespace DataPatterns.Caching.Memcached.Tests;

/// <summary>Which stored names the Memcached store keeps on every server: the cache's markers, never a data key.</summary>
public class MarkerRecognitionTests
{
    [Theory]
    [InlineData("app:items:tag:t", true)]
    [InlineData("app:items:tag:", true)]
    [InlineData("app:items:clear", true)]
    [InlineData("app:items:data:tag:t", false)]
    [InlineData("app:items:data:clear", false)]
    [InlineData("app:items:clearx", false)]
    [InlineData("app:items:lock:tag:t", false)]
    [InlineData("app:items:writeback", false)]
    [InlineData("tag:x", false)]
    [InlineData("clear", false)]
    public void Only_tag_and_clear_markers_are_markers(string storedName, bool marker) =>
        Assert.Equal(marker, CacheKeyLayout.IsMarker(storedName));
}
