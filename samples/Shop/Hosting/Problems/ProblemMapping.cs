using System.Data.Common;
using DataPatterns.Samples.Shop.Validation;
using System.Net.Sockets;
using System.Text.Json;
using DataPatterns.Caching;
using DataPatterns.Routing;
using DataPatterns.Sharding;
using DataPatterns.Transactions;
using Npgsql;
using StackExchange.Redis;

namespace DataPatterns.Samples.Shop.Hosting.Problems;

/// <summary>
/// The one place that decides what a client is told when something fails: every exception a request can end in, the
/// limiter's refusal and the request-reading errors of ASP.NET Core become a <see cref="ShopProblem"/> here. A new failure
/// the client should see differently (a typed overload exception of the library, with its own Retry-After, say) is one
/// more arm of <see cref="Map"/>.
/// </summary>
internal static class ProblemMapping
{
    /// <summary>How long a client should wait after a busy database, cache or coordinator before trying again.</summary>
    public static readonly TimeSpan TransientRetryAfter = TimeSpan.FromSeconds(2);

    /// <summary>How long writes usually pause while a new primary is promoted.</summary>
    public static readonly TimeSpan FailoverRetryAfter = TimeSpan.FromSeconds(5);

    /// <summary>The answer for <paramref name="exception"/>.</summary>
    /// <param name="exception">What the request ended in.</param>
    /// <param name="requestAborted">True when the client went away (its cancellation is then not a failure of ours).</param>
    public static ShopProblem Map(Exception exception, bool requestAborted)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception switch
        {
            BadHttpRequestException bad => UnreadableRequest(bad),
            OrderRejectedException rejected => OrderRejected(rejected),
            OperationCanceledException when requestAborted => new(499, "client-closed-request", "The client closed the request.",
                "The request was cancelled because the client went away.", ProblemSeverity.ClientError),
            TransactionInDoubtException => OrderOutcomeUnknown(),
            TransactionHeuristicException => new(500, "order-needs-attention", "The order needs a person to look at it.",
                "The order was committed in one database but rolled back in another by someone else. Nothing to retry: the Shop's operators have been alerted; quote the traceId.",
                ProblemSeverity.ServerFault),
            TwoPhaseCommitAbortedException => Transient("order-not-placed", "The order was not placed; nothing was charged.",
                "A database taking part in the order failed or was too slow, so the whole order was rolled back. Send it again (with the orderId of this answer, so that a retry can never place it twice).",
                TransientRetryAfter),
            NodeOverloadedException overloaded => Transient("database-busy", "A database behind the Shop is busy.",
                "A database is serving as much as it can and refused this request at once rather than queue it. Nothing was changed; send the same request again after the Retry-After delay.",
                overloaded.RetryAfter),
            NoPrimaryAvailableException => Transient("writes-paused", "Writes are paused.",
                "No database accepts writes right now (a failover is under way). Send the same request again shortly.", FailoverRetryAfter),
            NoReplicaAvailableException or ShardQueryException or CacheLoadException or WriteBackUnavailableException => Unavailable(),
            OperationCanceledException => Unavailable(),   // a timeout of ours, not the client's: the work took too long
            _ when FindTransient(exception) is not null => Unavailable(),
            _ => new(500, "internal-error", "Something went wrong on our side.",
                "The Shop could not handle this request because of a fault on its side. Nothing in the request needs changing; the error is logged under the traceId.",
                ProblemSeverity.ServerFault),
        };
    }

    /// <summary>The limiter's answer when the Shop takes no more requests for now.</summary>
    public static ShopProblem Shed(TimeSpan retryAfter) => Transient("overloaded", "The Shop is busy.",
        "The Shop is serving as many requests as it can and this one could not wait for a turn. Nothing was done; send the same request again after the Retry-After delay.",
        retryAfter);

    /// <summary>
    /// The exception, or one it wraps, that means "a server is busy or briefly away" (Npgsql timeouts and a full pool,
    /// PostgreSQL's too_many_connections and cannot_connect_now, Redis timeouts); null when there is none.
    /// </summary>
    public static Exception? FindTransient(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is AggregateException aggregate)
            {
                return aggregate.InnerExceptions.Select(FindTransient).FirstOrDefault(found => found is not null);
            }

            if (IsTransient(current))
            {
                return current;
            }
        }

        return null;
    }

    private static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException postgres => IsTransientSqlState(postgres.SqlState),
        NpgsqlException { InnerException: IOException or SocketException or TimeoutException } => true,
        DbException { IsTransient: true } => true,   // Npgsql: a broken connection, a timeout, the pool exhausted
        RedisConnectionException or RedisTimeoutException => true,
        TimeoutException or SocketException => true,
        _ => false,
    };

    // Class 53 (insufficient resources: 53300 too_many_connections), 08 (connection exceptions), 57P01-57P03 (the server is
    // shutting down or starting: cannot_connect_now), 57014 (a statement timeout), and the conflicts a retry resolves:
    // 40001 serialization_failure, 40P01 deadlock_detected, 55P03 lock_not_available.
    private static bool IsTransientSqlState(string state) =>
        state.StartsWith("53", StringComparison.Ordinal) || state.StartsWith("08", StringComparison.Ordinal)
        || state is "57P01" or "57P02" or "57P03" or "57014" or "40001" or "40P01" or "55P03";

    private static ShopProblem Transient(string code, string title, string detail, TimeSpan retryAfter) =>
        new(503, code, title, detail, ProblemSeverity.Transient) { RetryAfter = retryAfter };

    private static ShopProblem Unavailable() => Transient("temporarily-unavailable", "A server behind the Shop is busy or unreachable.",
        "The Shop could not reach one of its databases or caches in time. Nothing was changed unless the answer said so; send the same request again after the Retry-After delay.",
        TransientRetryAfter);

    // In doubt: the decision may be commit. Not "retry blindly": a new order id could charge twice. Resending the same
    // order id is safe (409 once it is placed), after recovery has settled it.
    private static ShopProblem OrderOutcomeUnknown() => new(504, "order-outcome-unknown", "The order's outcome is not known yet.",
        "A database did not answer while the order was being committed, so the Shop cannot say yet whether it was placed; it settles within about 30 seconds. Do not place it again under a new orderId: look for the orderId of this answer in GET /customers/{customerId}/orders, or resend the order with that same orderId after that (409 then means it was placed).",
        ProblemSeverity.Transient);

    private static ShopProblem OrderRejected(OrderRejectedException rejected) => rejected.Reason switch
    {
        OrderRejection.UnknownProduct => new(404, "unknown-product", "The product does not exist.", rejected.Message, ProblemSeverity.ClientError),
        OrderRejection.Duplicate => new(409, "duplicate-order", "An order with this id was placed already.", rejected.Message, ProblemSeverity.ClientError),
        _ => new(400, "invalid-order", "The order is not valid.", rejected.Message, ProblemSeverity.ClientError),
    };

    private static ShopProblem UnreadableRequest(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json)
        {
            var field = FieldOf(json.Path);
            var where = json.LineNumber is { } line && json.BytePositionInLine is { } position
                ? $" (line {line + 1}, byte {position + 1})"
                : string.Empty;
            var fix = field == "body"
                ? $"is not well-formed JSON{where}: send one JSON object, as in the tour."
                : $"cannot be read{where}: it is not a field this endpoint takes, or its value has the wrong type (a whole number, a decimal, text or a list) or is out of range, or the JSON is broken or cut off there.";
            return new(400, "unreadable-body", "The body could not be read.", $"The JSON body {(field == "body" ? "is malformed" : $"has a problem at '{field}'")}; see errors.", ProblemSeverity.ClientError)
            {
                Errors = new Dictionary<string, string[]> { [field] = [$"{field} {fix}"] },
            };
        }

        return bad.StatusCode switch
        {
            StatusCodes.Status413PayloadTooLarge => new(413, "body-too-large", "The body is too large.",
                $"The Shop takes bodies of at most {ShopRules.MaxRequestBodyBytes / 1024} KB; send a smaller one.", ProblemSeverity.ClientError),
            StatusCodes.Status415UnsupportedMediaType => new(415, "not-json", "The body must be JSON.",
                "Send the body as JSON with the header Content-Type: application/json.", ProblemSeverity.ClientError),
            _ => new(bad.StatusCode, "missing-body", "The request is incomplete.",
                "A JSON body (or a required value) is missing; send the body this endpoint takes, as in the tour.", ProblemSeverity.ClientError),
        };
    }

    // "$.lines[0].quantity" -> "lines[0].quantity"; the document itself (malformed JSON) -> "body".
    private static string FieldOf(string? path) =>
        path is null or "$" || !path.StartsWith("$.", StringComparison.Ordinal) ? "body" : path[2..];
}
