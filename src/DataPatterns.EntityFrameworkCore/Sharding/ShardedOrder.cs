using System.Linq.Expressions;

namespace DataPatterns.EntityFrameworkCore.Sharding;

/// <summary>
/// One sort order, stated once and used twice: translated to <c>OrderBy</c>/<c>ThenBy</c> in every shard's query, and
/// compiled into the comparer that merges the shards' sorted rows. Both must agree, so the in-memory comparer of each key
/// must order values as the database does: numbers, dates and GUIDs do by default; for text pass the comparer of the
/// column's collation (<see cref="StringComparer.Ordinal"/> for a <c>"C"</c> collation), and keep sort keys non-null (the
/// default comparer puts nulls first, PostgreSQL puts them last). End with a unique key (the primary key) so that
/// equal rows have one order and a page boundary never moves between calls.
/// </summary>
/// <typeparam name="T">The row type.</typeparam>
public sealed class ShardedOrder<T> : IComparer<T>
{
    private readonly OrderKey[] _keys;

    private ShardedOrder(OrderKey[] keys) => _keys = keys;

    /// <summary>Orders by <paramref name="key"/>, ascending.</summary>
    /// <param name="key">The key, as an expression the database can translate.</param>
    /// <param name="comparer">How the merge compares keys; it must match the database's order (default: <see cref="Comparer{TKey}.Default"/>).</param>
    public static ShardedOrder<T> By<TKey>(Expression<Func<T, TKey>> key, IComparer<TKey>? comparer = null) => new([new OrderKey<TKey>(key, comparer, descending: false)]);

    /// <summary>Orders by <paramref name="key"/>, descending.</summary>
    /// <param name="key">The key, as an expression the database can translate.</param>
    /// <param name="comparer">How the merge compares keys; it must match the database's order (default: <see cref="Comparer{TKey}.Default"/>).</param>
    public static ShardedOrder<T> ByDescending<TKey>(Expression<Func<T, TKey>> key, IComparer<TKey>? comparer = null) => new([new OrderKey<TKey>(key, comparer, descending: true)]);

    /// <summary>This order, then <paramref name="key"/> ascending among rows equal so far.</summary>
    public ShardedOrder<T> ThenBy<TKey>(Expression<Func<T, TKey>> key, IComparer<TKey>? comparer = null) => new([.. _keys, new OrderKey<TKey>(key, comparer, descending: false)]);

    /// <summary>This order, then <paramref name="key"/> descending among rows equal so far.</summary>
    public ShardedOrder<T> ThenByDescending<TKey>(Expression<Func<T, TKey>> key, IComparer<TKey>? comparer = null) => new([.. _keys, new OrderKey<TKey>(key, comparer, descending: true)]);

    /// <summary>Compares two rows as the merged order places them.</summary>
    public int Compare(T? x, T? y)
    {
        foreach (var key in _keys)
        {
            var order = key.Compare(x!, y!);
            if (order != 0)
            {
                return order;
            }
        }

        return 0;
    }

    /// <summary><paramref name="query"/> sorted in this order (replacing any order it had).</summary>
    public IOrderedQueryable<T> ApplyTo(IQueryable<T> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        var ordered = _keys[0].OrderBy(query);
        for (var i = 1; i < _keys.Length; i++)
        {
            ordered = _keys[i].ThenBy(ordered);
        }

        return ordered;
    }

    private abstract class OrderKey
    {
        public abstract IOrderedQueryable<T> OrderBy(IQueryable<T> query);

        public abstract IOrderedQueryable<T> ThenBy(IOrderedQueryable<T> query);

        public abstract int Compare(T x, T y);
    }

    private sealed class OrderKey<TKey> : OrderKey
    {
        private readonly Expression<Func<T, TKey>> _expression;
        private readonly Func<T, TKey> _compiled;
        private readonly IComparer<TKey> _comparer;
        private readonly bool _descending;

        public OrderKey(Expression<Func<T, TKey>> expression, IComparer<TKey>? comparer, bool descending)
        {
            ArgumentNullException.ThrowIfNull(expression);
            _expression = expression;
            _compiled = expression.Compile();
            _comparer = comparer ?? Comparer<TKey>.Default;
            _descending = descending;
        }

        public override IOrderedQueryable<T> OrderBy(IQueryable<T> query) =>
            _descending ? query.OrderByDescending(_expression) : query.OrderBy(_expression);

        public override IOrderedQueryable<T> ThenBy(IOrderedQueryable<T> query) =>
            _descending ? query.ThenByDescending(_expression) : query.ThenBy(_expression);

        public override int Compare(T x, T y)
        {
            var order = _comparer.Compare(_compiled(x), _compiled(y));
            return _descending ? -order : order;
        }
    }
}
