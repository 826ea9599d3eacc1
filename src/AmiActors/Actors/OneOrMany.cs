namespace AmiActors.Actors;

/// <summary>
/// The items of one read, in order: one item held directly, or a list. A read from a real Asterisk usually carries one
/// event, and holding it directly spares the list and its array, two of the few objects a read costs past Akka.IO.
/// </summary>
internal readonly struct OneOrMany<T> where T : class
{
    private readonly T? _one;
    private readonly IReadOnlyList<T>? _many;

    public OneOrMany(T one) => _one = one;

    public OneOrMany(IReadOnlyList<T> many) => _many = many;

    public int Count => _many?.Count ?? (_one is null ? 0 : 1);

    public T this[int index] => _many is { } many ? many[index]
        : index == 0 && _one is { } one ? one : throw new ArgumentOutOfRangeException(nameof(index));
}

/// <summary>Collects the items of one read into a <see cref="OneOrMany{T}"/>: the list is made at the second item.</summary>
internal struct OneOrManyBuilder<T> where T : class
{
    private T? _first;
    private List<T>? _more;

    public readonly bool IsEmpty => _first is null;

    /// <summary>Adds an item; <paramref name="capacity"/> sizes the list if this item is the second.</summary>
    public void Add(T item, int capacity)
    {
        if (_first is null)
        {
            _first = item;
            return;
        }
        (_more ??= new List<T>(Math.Max(2, capacity)) { _first }).Add(item);
    }

    /// <summary>What was added, and the builder empty again.</summary>
    public OneOrMany<T> Take()
    {
        var items = _more is { } more ? new OneOrMany<T>(more) : _first is { } first ? new OneOrMany<T>(first) : default;
        _first = null;
        _more = null;
        return items;
    }
}
