using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;

namespace DataPatterns.EntityFrameworkCore.QueryCaching;

/// <summary>Maps entity types to the cache tags of the tables (and views) they are stored in.</summary>
internal static class QueryCacheTables
{
    /// <summary>The prefix of a table's tag: <c>efcore-table:{schema.}table</c>.</summary>
    public const string TagPrefix = "efcore-table:";

    public static string TagOf(string table) => TagPrefix + table;

    /// <summary>
    /// The tags a query over <paramref name="entityTypes"/> depends on: each type's tables, those of its derived types
    /// (a query on a base type reads them under TPT/TPC), and those of every navigation loaded with it automatically
    /// (owned types, auto-includes), recursively.
    /// </summary>
    public static string[] TagsOfQuery(IEnumerable<IReadOnlyEntityType> entityTypes)
    {
        var seen = new HashSet<IReadOnlyEntityType>();
        var tags = new SortedSet<string>(StringComparer.Ordinal);
        var pending = new Stack<IReadOnlyEntityType>(entityTypes);
        while (pending.TryPop(out var entityType))
        {
            foreach (var type in entityType.GetDerivedTypesInclusive())
            {
                if (!seen.Add(type))
                {
                    continue;
                }

                AddTables(type, tags);
                foreach (var navigation in type.GetNavigations())
                {
                    if (navigation.IsEagerLoaded || navigation.TargetEntityType.IsOwned())
                    {
                        pending.Push(navigation.TargetEntityType);
                    }
                }
            }
        }

        return [.. tags];
    }

    /// <summary>The tags of every table in the model: what a query whose reads cannot be worked out depends on.</summary>
    public static string[] TagsOfModel(IModel model) => TagsOfQuery(model.GetEntityTypes());

    /// <summary>The tables a change to an entity of <paramref name="entityType"/> writes (with TPT, the base types' tables too).</summary>
    public static void AddTables(IReadOnlyEntityType entityType, ISet<string> tags)
    {
        var any = false;
        if (entityType is IEntityType runtime)
        {
            foreach (var mapping in runtime.GetTableMappings())
            {
                tags.Add(TagOf(mapping.Table.SchemaQualifiedName));
                any = true;
            }

            foreach (var mapping in runtime.GetViewMappings())
            {
                tags.Add(TagOf(mapping.View.SchemaQualifiedName));
                any = true;
            }
        }

        if (!any)
        {
            // Not mapped to a table (a SQL query, a function): tag by its name so InvalidateTablesAsync can reach it.
            var schema = entityType.GetSchema() ?? entityType.GetViewSchema();
            var name = entityType.GetTableName() ?? entityType.GetViewName() ?? entityType.Name;
            tags.Add(TagOf(schema is null ? name : schema + "." + name));
        }
    }
}
