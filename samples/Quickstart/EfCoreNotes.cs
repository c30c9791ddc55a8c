using Microsoft.EntityFrameworkCore;

namespace DataPatterns.Samples.Quickstart;

/// <summary>The EF Core quickstart's model: one table, no migrations (the quickstart creates it).</summary>
internal sealed class NotesContext(DbContextOptions<NotesContext> options) : DbContext(options)
{
    public DbSet<Note> Notes => Set<Note>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<Note>(note =>
        {
            note.ToTable("quickstart_ef_notes");
            note.Property(n => n.Id).HasColumnName("id");
            note.Property(n => n.Text).HasColumnName("text");
        });
}

internal sealed class Note
{
    public long Id { get; set; }

    public string Text { get; set; } = "";
}

/// <summary>A note as read back, with the port of the server that answered.</summary>
internal sealed class NoteSeen
{
    public string Text { get; set; } = "";

    public int Port { get; set; }
}
