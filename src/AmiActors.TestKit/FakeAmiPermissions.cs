namespace AmiActors.TestKit;

/// <summary>
/// AMI permission classes, with the bit values Asterisk uses (<c>EVENT_FLAG_*</c> in manager.h).
/// They serve as a user's read and write permissions, as a session's event mask, and as the class of an event.
/// </summary>
[Flags]
public enum FakeAmiPermissions
{
    /// <summary>No class.</summary>
    None = 0,
    /// <summary><c>system</c>: FullyBooted, Shutdown, Reload...</summary>
    System = 1 << 0,
    /// <summary><c>call</c>: channel and call events.</summary>
    Call = 1 << 1,
    /// <summary><c>log</c>.</summary>
    Log = 1 << 2,
    /// <summary><c>verbose</c>.</summary>
    Verbose = 1 << 3,
    /// <summary><c>command</c>: the Command action.</summary>
    Command = 1 << 4,
    /// <summary><c>agent</c>: queue and agent events.</summary>
    Agent = 1 << 5,
    /// <summary><c>user</c>: UserEvent.</summary>
    User = 1 << 6,
    /// <summary><c>config</c>.</summary>
    Config = 1 << 7,
    /// <summary><c>dtmf</c>.</summary>
    Dtmf = 1 << 8,
    /// <summary><c>reporting</c>: status and list actions.</summary>
    Reporting = 1 << 9,
    /// <summary><c>cdr</c>.</summary>
    Cdr = 1 << 10,
    /// <summary><c>dialplan</c>: Newexten, VarSet.</summary>
    Dialplan = 1 << 11,
    /// <summary><c>originate</c>: the Originate action.</summary>
    Originate = 1 << 12,
    /// <summary><c>agi</c>.</summary>
    Agi = 1 << 13,
    /// <summary><c>cc</c>.</summary>
    Cc = 1 << 14,
    /// <summary><c>aoc</c>.</summary>
    Aoc = 1 << 15,
    /// <summary><c>test</c>.</summary>
    Test = 1 << 16,
    /// <summary><c>security</c>: SuccessfulAuth, InvalidPassword...</summary>
    Security = 1 << 17,
    /// <summary><c>message</c>.</summary>
    Message = 1 << 18,
    /// <summary><c>all</c> (Asterisk's INT_MAX: every class, present and future).</summary>
    All = int.MaxValue,
}

/// <summary>Conversions between <see cref="FakeAmiPermissions"/> and the strings AMI uses.</summary>
public static class FakeAmiPermissionsText
{
    private static readonly (string Label, FakeAmiPermissions Value)[] Labels =
    [
        ("system", FakeAmiPermissions.System), ("call", FakeAmiPermissions.Call), ("log", FakeAmiPermissions.Log),
        ("verbose", FakeAmiPermissions.Verbose), ("command", FakeAmiPermissions.Command), ("agent", FakeAmiPermissions.Agent),
        ("user", FakeAmiPermissions.User), ("config", FakeAmiPermissions.Config), ("dtmf", FakeAmiPermissions.Dtmf),
        ("reporting", FakeAmiPermissions.Reporting), ("cdr", FakeAmiPermissions.Cdr), ("dialplan", FakeAmiPermissions.Dialplan),
        ("originate", FakeAmiPermissions.Originate), ("agi", FakeAmiPermissions.Agi), ("cc", FakeAmiPermissions.Cc),
        ("aoc", FakeAmiPermissions.Aoc), ("test", FakeAmiPermissions.Test), ("security", FakeAmiPermissions.Security),
        ("message", FakeAmiPermissions.Message),
    ];

    /// <summary>
    /// Parses an event mask the way Asterisk's <c>strings_to_mask</c> does (the Login <c>Events:</c> header and the
    /// Events action's <c>EventMask:</c>): digits are a number; on/yes/true enable everything; off/no/false nothing;
    /// otherwise a comma list of class names (case-sensitive, unknown names ignored). Null for an empty mask.
    /// </summary>
    public static FakeAmiPermissions? ParseEventMask(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (text.All(char.IsAsciiDigit))
        {
            return int.TryParse(text, out int n) ? (FakeAmiPermissions)n : FakeAmiPermissions.All;
        }
        if (IsFalse(text))
        {
            return FakeAmiPermissions.None;
        }
        if (IsTrue(text))
        {
            return FakeAmiPermissions.All;
        }
        return ParseList(text);
    }

    /// <summary>
    /// The class of an event from its <c>Privilege</c> header (<c>call,all</c> is <see cref="FakeAmiPermissions.Call"/>;
    /// the trailing <c>all</c> is display only). Case-insensitive (Status items say <c>Call</c>). None when absent.
    /// </summary>
    public static FakeAmiPermissions ParseEventClass(string? privilege)
    {
        if (string.IsNullOrEmpty(privilege))
        {
            return FakeAmiPermissions.None;
        }
        var result = FakeAmiPermissions.None;
        foreach (var part in privilege.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var (label, value) in Labels)
            {
                if (string.Equals(part, label, StringComparison.OrdinalIgnoreCase))
                {
                    result |= value;
                }
            }
        }
        return result;
    }

    /// <summary>The <c>Privilege</c> text Asterisk writes for an event class: each class name, then <c>all</c> (<c>call,all</c>).</summary>
    public static string ToPrivilege(FakeAmiPermissions eventClass)
    {
        var names = Labels.Where(l => (eventClass & l.Value) != 0).Select(l => l.Label).ToList();
        names.Add("all");
        return string.Join(',', names);
    }

    // Asterisk's get_perm: class names are matched case-sensitively.
    private static FakeAmiPermissions ParseList(string text)
    {
        var result = FakeAmiPermissions.None;
        const StringComparison comparison = StringComparison.Ordinal;
        foreach (var part in text.Split(','))
        {
            if (string.Equals(part, "all", comparison))
            {
                result |= FakeAmiPermissions.All;
                continue;
            }
            foreach (var (label, value) in Labels)
            {
                if (string.Equals(part, label, comparison))
                {
                    result |= value;
                }
            }
        }
        return result;
    }

    internal static bool IsTrue(string? s) => s is not null && (s.Equals("yes", StringComparison.OrdinalIgnoreCase) || s.Equals("true", StringComparison.OrdinalIgnoreCase)
        || s.Equals("y", StringComparison.OrdinalIgnoreCase) || s.Equals("t", StringComparison.OrdinalIgnoreCase) || s == "1" || s.Equals("on", StringComparison.OrdinalIgnoreCase));

    internal static bool IsFalse(string? s) => s is not null && (s.Equals("no", StringComparison.OrdinalIgnoreCase) || s.Equals("false", StringComparison.OrdinalIgnoreCase)
        || s.Equals("n", StringComparison.OrdinalIgnoreCase) || s.Equals("f", StringComparison.OrdinalIgnoreCase) || s == "0" || s.Equals("off", StringComparison.OrdinalIgnoreCase));
}
