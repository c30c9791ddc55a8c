namespace DataPatterns.Transactions;

/// <summary>The base of every two-phase-commit failure this package throws.</summary>
public class TwoPhaseCommitException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TwoPhaseCommitException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public TwoPhaseCommitException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    public TwoPhaseCommitException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
