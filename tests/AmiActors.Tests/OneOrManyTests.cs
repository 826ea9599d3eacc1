using AmiActors.Actors;

namespace AmiActors.Tests;

public class OneOrManyTests
{
    [Fact]
    public void One_item_is_held_without_a_list_and_reads_back_at_index_zero_only()
    {
        var builder = new OneOrManyBuilder<string>();
        Assert.True(builder.IsEmpty);
        builder.Add("a", capacity: 8);
        Assert.False(builder.IsEmpty);

        var items = builder.Take();

        Assert.Equal(1, items.Count);
        Assert.Equal("a", items[0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => items[1]);
        Assert.True(builder.IsEmpty);
    }

    [Theory]
    [InlineData(2, 0)]
    [InlineData(3, 2)]
    [InlineData(50, 4)]
    public void Many_items_keep_their_order_whatever_the_capacity_hint(int n, int capacity)
    {
        var builder = new OneOrManyBuilder<string>();
        for (int i = 0; i < n; i++)
        {
            builder.Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), capacity);
        }

        var items = builder.Take();

        Assert.Equal(n, items.Count);
        Assert.Equal(Enumerable.Range(0, n).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Enumerable.Range(0, n).Select(i => items[i]));
        Assert.Throws<ArgumentOutOfRangeException>(() => items[n]);
    }

    [Fact]
    public void Take_empties_the_builder_so_the_next_read_starts_afresh()
    {
        var builder = new OneOrManyBuilder<string>();
        builder.Add("a", 4);
        builder.Add("b", 4);
        var first = builder.Take();
        builder.Add("c", 4);

        var second = builder.Take();

        Assert.Equal(2, first.Count);
        Assert.Equal(1, second.Count);
        Assert.Equal("c", second[0]);
        Assert.Equal(0, builder.Take().Count);
    }
}
