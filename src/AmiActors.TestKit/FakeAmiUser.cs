namespace AmiActors.TestKit;

/// <summary>
/// A manager user of the fake server (a <c>[user]</c> section of manager.conf).
/// </summary>
/// <param name="Username">The login name.</param>
/// <param name="Secret">The secret, for plain and MD5 login. Never printed by <see cref="ToString"/>.</param>
public sealed record FakeAmiUser(string Username, string Secret)
{
    /// <summary>The classes of events this user may read (<c>read=</c>); default all.</summary>
    public FakeAmiPermissions Read { get; init; } = FakeAmiPermissions.All;

    /// <summary>The classes of actions this user may run (<c>write=</c>); default all.</summary>
    public FakeAmiPermissions Write { get; init; } = FakeAmiPermissions.All;

    /// <summary>The user <c>admin</c>/<c>amp111</c> with read=all, write=all, as in the captured fixtures.</summary>
    public static FakeAmiUser Admin { get; } = new("admin", "amp111");

    /// <summary>The user <c>reader</c>/<c>reader</c> with read=all, write=none, as in the captured fixtures.</summary>
    public static FakeAmiUser Reader { get; } = new("reader", "reader") { Write = FakeAmiPermissions.None };

    /// <summary>Prints the username and permissions, never the secret.</summary>
    public override string ToString() => $"FakeAmiUser({Username}, read={Read}, write={Write})";
}
