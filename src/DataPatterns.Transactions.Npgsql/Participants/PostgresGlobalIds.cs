using Npgsql;

namespace DataPatterns.Transactions.Npgsql;

/// <summary>Puts global ids into the SQL of the 2PC commands, which take no parameters.</summary>
internal static class PostgresGlobalIds
{
    /// <summary>PostgreSQL's error when a prepared transaction with the given id does not exist.</summary>
    public const string UndefinedObject = "42704";

    private static readonly System.Buffers.SearchValues<char> Allowed =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789:_-.~");

    public static string Quote(string globalId)
    {
        ArgumentNullException.ThrowIfNull(globalId);
        if (globalId.Length == 0 || System.Text.Encoding.UTF8.GetByteCount(globalId) >= GlobalTransactionId.MaxLength
            || globalId.AsSpan().ContainsAnyExcept(Allowed))
        {
            throw new ArgumentException($"'{globalId}' is not a valid global id: PostgreSQL needs fewer than {GlobalTransactionId.MaxLength} bytes, and this package only uses A-Z a-z 0-9 : _ - . ~", nameof(globalId));
        }

        return "'" + globalId + "'";
    }

    public static bool IsNotFound(PostgresException exception) => exception.SqlState == UndefinedObject;

    public static async ValueTask<BranchCompletion> CompleteAsync(NpgsqlConnection connection, string verb, string globalId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"{verb} PREPARED {Quote(globalId)}", connection);
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return BranchCompletion.Completed;
        }
        catch (PostgresException ex) when (IsNotFound(ex))
        {
            return BranchCompletion.NotFound;
        }
    }
}
