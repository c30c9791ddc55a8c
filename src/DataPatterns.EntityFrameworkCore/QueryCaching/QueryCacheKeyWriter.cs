using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Linq.Expressions;
using System.Reflection;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Query;

namespace DataPatterns.EntityFrameworkCore.QueryCaching;

/// <summary>
/// Writes a LINQ expression tree as text that identifies it completely: every node's kind and type, every method and
/// member, and the current value of every captured variable (closure fields are read, not printed as names). The text
/// is hashed into the key, so it never reaches the cache verbatim. Nodes it does not know are refused rather than
/// skipped: skipping would let two different queries share a key. It also collects the entity types the query reads.
/// </summary>
internal sealed class QueryCacheKeyWriter : ExpressionVisitor
{
    private readonly StringBuilder _text;
    private readonly IModel _model;
    private readonly HashSet<IReadOnlyEntityType> _entityTypes = [];
    private bool _readsEverything;

    public QueryCacheKeyWriter(StringBuilder text, IModel model)
    {
        _text = text;
        _model = model;
    }

    /// <summary>The entity types the query reads (roots, navigations it follows, string includes).</summary>
    public IReadOnlyCollection<IReadOnlyEntityType> EntityTypes => _entityTypes;

    /// <summary>True when a string include could not be resolved: the query is then tagged with every table.</summary>
    public bool ReadsEverything => _readsEverything;

    /// <summary>True when the query calls <c>IgnoreQueryFilters</c>.</summary>
    public bool IgnoresQueryFilters { get; private set; }

    public override Expression? Visit(Expression? node)
    {
        if (node is null)
        {
            _text.Append('~');
            return null;
        }

        _text.Append('(').Append((int)node.NodeType).Append(':');
        WriteType(node.Type);
        var result = base.Visit(node);
        _text.Append(')');
        return result;
    }

    protected override Expression VisitConstant(ConstantExpression node)
    {
        WriteValue(node.Value);
        return node;
    }

    protected override Expression VisitMember(MemberExpression node)
    {
        if (TryEvaluate(node, out var value))
        {
            // A captured variable: its value is part of the query, its name is not.
            _text.Append('=');
            WriteValue(value);
            return node;
        }

        WriteMember(node.Member);
        NoteNavigation(node.Expression?.Type, node.Member.Name);
        Visit(node.Expression);
        return node;
    }

    protected override Expression VisitMethodCall(MethodCallExpression node)
    {
        WriteMethod(node.Method);
        if (node.Method.DeclaringType == typeof(EntityFrameworkQueryableExtensions))
        {
            NoteQueryOperator(node);
        }

        Visit(node.Object);
        _text.Append('[').Append(node.Arguments.Count);
        foreach (var argument in node.Arguments)
        {
            Visit(argument);
        }

        _text.Append(']');
        return node;
    }

    protected override Expression VisitLambda<T>(Expression<T> node)
    {
        _text.Append('λ').Append(node.Parameters.Count);
        foreach (var parameter in node.Parameters)
        {
            Visit(parameter);
        }

        Visit(node.Body);
        return node;
    }

    protected override Expression VisitParameter(ParameterExpression node)
    {
        WriteString(node.Name);
        return node;
    }

    protected override Expression VisitUnary(UnaryExpression node)
    {
        WriteMethod(node.Method);
        return base.VisitUnary(node);
    }

    protected override Expression VisitBinary(BinaryExpression node)
    {
        WriteMethod(node.Method);
        _text.Append(node.IsLiftedToNull ? 'L' : 'l');
        return base.VisitBinary(node);
    }

    protected override Expression VisitNew(NewExpression node)
    {
        WriteMethod(node.Constructor);
        _text.Append('[');
        foreach (var member in node.Members ?? [])
        {
            WriteMember(member);
        }

        _text.Append(']');
        return base.VisitNew(node);
    }

    protected override MemberBinding VisitMemberBinding(MemberBinding node)
    {
        _text.Append('b').Append((int)node.BindingType);
        WriteMember(node.Member);
        return base.VisitMemberBinding(node);
    }

    protected override ElementInit VisitElementInit(ElementInit node)
    {
        WriteMethod(node.AddMethod);
        return base.VisitElementInit(node);
    }

    protected override Expression VisitTypeBinary(TypeBinaryExpression node)
    {
        WriteType(node.TypeOperand);
        return base.VisitTypeBinary(node);
    }

    protected override Expression VisitIndex(IndexExpression node)
    {
        if (node.Indexer is not null)
        {
            WriteMember(node.Indexer);
        }

        return base.VisitIndex(node);
    }

    protected override Expression VisitExtension(Expression node)
    {
        switch (node)
        {
            case EntityQueryRootExpression root when node.GetType() == typeof(EntityQueryRootExpression):
                _text.Append("root:");
                WriteString(root.EntityType.Name);
                _entityTypes.Add(root.EntityType);
                return node;
            default:
                // FromSql, inline collections, functions: their roots are EF internals whose content could not all be keyed.
                throw Unsupported(node.GetType().Name);
        }
    }

    protected override Expression VisitBlock(BlockExpression node) => throw Unsupported("a block");

    protected override Expression VisitTry(TryExpression node) => throw Unsupported("a try block");

    protected override Expression VisitLoop(LoopExpression node) => throw Unsupported("a loop");

    protected override Expression VisitGoto(GotoExpression node) => throw Unsupported("a goto");

    protected override Expression VisitSwitch(SwitchExpression node) => throw Unsupported("a switch");

    protected override Expression VisitDynamic(DynamicExpression node) => throw Unsupported("a dynamic operation");

    protected override Expression VisitRuntimeVariables(RuntimeVariablesExpression node) => throw Unsupported("runtime variables");

    private static NotSupportedException Unsupported(string what) =>
        new($"The query cache cannot key a query containing {what}: it can only cache LINQ queries over DbSets (not FromSql, inline collections or table-valued functions). Run this query without the cache.");

    private static bool TryEvaluate(MemberExpression node, out object? value)
    {
        value = null;
        object? target;
        switch (node.Expression)
        {
            case null:
                target = null;
                break;
            case ConstantExpression constant when constant.Value is not IQueryable:
                target = constant.Value;
                break;
            case MemberExpression inner when TryEvaluate(inner, out var innerValue):
                target = innerValue;
                break;
            default:
                return false;
        }

        switch (node.Member)
        {
            case FieldInfo field:
                value = field.GetValue(target);
                return true;
            case PropertyInfo property:
                value = property.GetValue(target);
                return true;
            default:
                return false;
        }
    }

    private void NoteQueryOperator(MethodCallExpression node)
    {
        switch (node.Method.Name)
        {
            case nameof(EntityFrameworkQueryableExtensions.IgnoreQueryFilters):
                IgnoresQueryFilters = true;
                break;
            case nameof(EntityFrameworkQueryableExtensions.Include) when node.Arguments.Count == 2 && node.Arguments[1].Type == typeof(string):
                if (!TryEvaluateArgument(node.Arguments[1], out var path) || path is not string navigationPath
                    || !NoteIncludePath(ElementTypeOf(node.Arguments[0].Type), navigationPath))
                {
                    _readsEverything = true;
                }

                break;
        }
    }

    private static bool TryEvaluateArgument(Expression argument, out object? value)
    {
        value = null;
        switch (argument)
        {
            case ConstantExpression constant:
                value = constant.Value;
                return true;
            case MemberExpression member:
                return TryEvaluate(member, out value);
            default:
                return false;
        }
    }

    private bool NoteIncludePath(Type? rootType, string path)
    {
        IReadOnlyEntityType? entityType = rootType is null ? null : _model.FindEntityType(rootType);
        foreach (var name in path.Split('.'))
        {
            if (entityType is null)
            {
                return false;
            }

            entityType = Note(entityType, name);
        }

        return entityType is not null;
    }

    private void NoteNavigation(Type? ownerType, string memberName)
    {
        if (ownerType is not null && _model.FindEntityType(ownerType) is { } owner)
        {
            Note(owner, memberName);
        }
    }

    /// <summary>Records the target of the navigation <paramref name="name"/> (and a many-to-many's join table); null when it is no navigation.</summary>
    private IReadOnlyEntityType? Note(IReadOnlyEntityType owner, string name)
    {
        if (owner.FindNavigation(name) is { } navigation)
        {
            _entityTypes.Add(navigation.TargetEntityType);
            return navigation.TargetEntityType;
        }

        if (owner.FindSkipNavigation(name) is { } skip)
        {
            _entityTypes.Add(skip.TargetEntityType);
            if (skip.JoinEntityType is { } join)
            {
                _entityTypes.Add(join);
            }

            return skip.TargetEntityType;
        }

        return null;
    }

    private static Type? ElementTypeOf(Type sequence) =>
        sequence.IsGenericType && sequence.GetGenericArguments() is [var element] ? element
        : sequence.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

    private void WriteValue(object? value)
    {
        switch (value)
        {
            case null:
                _text.Append("null");
                break;
            case string s:
                _text.Append('s');
                WriteString(s);
                break;
            case IQueryable queryable:
                _text.Append('q');
                Visit(queryable.Expression);
                break;
            case DbContext:
                _text.Append("ctx");
                break;
            case byte[] bytes:
                _text.Append('x').Append(Convert.ToHexString(bytes)).Append(';');
                break;
            case double d:
                _text.Append('d').Append(d.ToString("R", CultureInfo.InvariantCulture)).Append(';');
                break;
            case float f:
                _text.Append('f').Append(f.ToString("R", CultureInfo.InvariantCulture)).Append(';');
                break;
            case DateTime dateTime:
                _text.Append('t').Append(dateTime.Ticks).Append('/').Append((int)dateTime.Kind).Append(';');
                break;
            case DateTimeOffset offset:
                _text.Append('o').Append(offset.Ticks).Append('/').Append(offset.Offset.Ticks).Append(';');
                break;
            case Enum e:
                WriteType(e.GetType());
                _text.Append('e').Append(Convert.ToString(Convert.ChangeType(e, Enum.GetUnderlyingType(e.GetType()), CultureInfo.InvariantCulture), CultureInfo.InvariantCulture)).Append(';');
                break;
            case IFormattable formattable when value.GetType().IsPrimitive || value is decimal or Guid or TimeSpan or DateOnly or TimeOnly or Half or Int128 or UInt128:
                WriteType(value.GetType());
                WriteString(formattable.ToString(null, CultureInfo.InvariantCulture));
                break;
            case bool b:
                _text.Append(b ? "T" : "F");
                break;
            case char c:
                _text.Append('c').Append((int)c).Append(';');
                break;
            case IEnumerable sequence:
                WriteType(value.GetType());
                _text.Append('{');
                foreach (var item in sequence)
                {
                    WriteValue(item);
                    _text.Append(',');
                }

                _text.Append('}');
                break;
            default:
                throw new NotSupportedException(
                    $"The query cache cannot key a query that captures a value of type {value.GetType()}: capture its scalar parts (numbers, strings, dates, GUIDs, enums, or lists of them) in local variables instead.");
        }
    }

    private void WriteString(string? s)
    {
        if (s is null)
        {
            _text.Append("-;");
            return;
        }

        // Length-prefixed, so no value can end early and continue as another part of the text.
        _text.Append(s.Length).Append(':').Append(s);
    }

    // Reflection names allocate on every call (generic type names, parameter arrays): each member's text is made once.
    private static readonly ConcurrentDictionary<Type, string> s_typeText = new();
    private static readonly ConcurrentDictionary<MemberInfo, string> s_memberText = new();

    private void WriteType(Type type) => _text.Append(s_typeText.GetOrAdd(type, static t => Text(t.FullName ?? t.Name)));

    private void WriteMember(MemberInfo member) => _text.Append(s_memberText.GetOrAdd(member, static m => MemberText(m)));

    private void WriteMethod(MethodBase? method)
    {
        if (method is null)
        {
            _text.Append('_');
            return;
        }

        WriteMember(method);
    }

    private static string Text(string s) => string.Concat(s.Length.ToString(CultureInfo.InvariantCulture), ":", s);

    private static string MemberText(MemberInfo member)
    {
        var text = new StringBuilder();
        text.Append(Text((member.DeclaringType ?? typeof(object)).FullName ?? "?")).Append(Text(member.Name));
        if (member is MethodBase method)
        {
            // Overloads and generic instantiations differ here.
            if (method.IsGenericMethod)
            {
                foreach (var argument in method.GetGenericArguments())
                {
                    text.Append(Text(argument.FullName ?? argument.Name));
                }
            }

            text.Append('(');
            foreach (var parameter in method.GetParameters())
            {
                text.Append(Text(parameter.ParameterType.FullName ?? parameter.ParameterType.Name));
            }

            text.Append(')');
        }

        return text.ToString();
    }
}
