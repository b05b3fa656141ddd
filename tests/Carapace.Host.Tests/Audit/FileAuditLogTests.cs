using System.Text;
using System.Text.Json;
using Carapace.Host.Audit;
using Carapace.Testing;
using CsCheck;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Carapace.Host.Tests.Audit;

public sealed class FileAuditLogTests
{
    private static FileAuditLog Create(string path, TimeProvider? time = null, long rotateBytes = FileAuditLog.DefaultRotateBytes, int capacity = FileAuditLog.DefaultCapacity) =>
        new(path, time ?? TimeProvider.System, null, NullLogger<FileAuditLog>.Instance, rotateBytes, capacity);

    private static List<JsonElement> Lines(string path) =>
        File.ReadAllLines(path).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public async Task Each_event_is_one_line_with_ts_event_and_data_and_secrets_redacted()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "audit.jsonl");
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-04T05:06:07.089Z", System.Globalization.CultureInfo.InvariantCulture));
        await using (var audit = Create(path, time))
        {
            audit.Write(AuditEvents.ConfigChanged, new Dictionary<string, object?>
            {
                ["key_path"] = "gateway.controlUi.enabled",
                ["actor"] = "127.0.0.1",
                ["count"] = 3,
                ["ok"] = true,
                ["token"] = "s3cret-value",
                ["skipped"] = null,
                ["capabilities"] = new[] { "net", "fs" },
                ["note"] = "line one\nline two \"quoted\"",
            });
        }

        var text = await File.ReadAllTextAsync(path);
        Assert.Equal(
            "{\"ts\":\"2026-03-04T05:06:07.089Z\",\"event\":\"config_changed\",\"data\":{\"key_path\":\"gateway.controlUi.enabled\",\"actor\":\"127.0.0.1\",\"count\":3,\"ok\":true,\"token\":\"[REDACTED]\",\"capabilities\":[\"net\",\"fs\"],\"note\":\"line one\\nline two \\\"quoted\\\"\"}}\n",
            text);
        Assert.DoesNotContain("s3cret", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_file_is_owner_only_and_a_wider_existing_file_is_tightened()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "audit.jsonl");
        await File.WriteAllTextAsync(path, string.Empty);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        await using (var audit = Create(path))
        {
            audit.Write("x", new Dictionary<string, object?>());
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var fresh = Path.Combine(dir.Path, "fresh.jsonl");
        await using (var audit = Create(fresh))
        {
            audit.Write("x", new Dictionary<string, object?>());
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(fresh));
    }

    [Fact]
    public async Task The_file_is_opened_with_o_append()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "audit.jsonl");
        using var file = AppendOnlyFile.Open(path);

        var flags = File.ReadAllLines("/proc/self/fdinfo/" + FindFd(path)).Single(l => l.StartsWith("flags:", StringComparison.Ordinal));

        const int OAppend = 0x400;
        Assert.NotEqual(0, Convert.ToInt32(flags.Split('\t', ' ').Last(s => s.Length > 0), 8) & OAppend);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task An_oversize_event_becomes_a_marker_naming_it_its_size_and_who_caused_it()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "audit.jsonl");
        await using (var audit = Create(path))
        {
            // Keys alone exceed the cap: nothing can be cut to make it fit.
            var fields = Enumerable.Range(0, 40).ToDictionary(i => $"{i:D3}" + new string('k', 120), _ => (object?)"v");
            fields["remote_ip"] = "192.0.2.7";
            fields["plugin_id"] = string.Concat(Enumerable.Repeat("😀", 1000));
            audit.Write("plugin_installed", fields);
            audit.Write("plugin_installed", new Dictionary<string, object?> { ["plugin_id"] = new string('y', 100_000) });
        }

        var lines = Lines(path);
        Assert.Equal(AuditEvents.AuditEventTooLarge, lines[0].GetProperty("event").GetString());
        var marker = lines[0].GetProperty("data");
        Assert.Equal("plugin_installed", marker.GetProperty("original_event").GetString());
        Assert.True(marker.GetProperty("serialized_bytes").GetInt32() > AuditLine.MaxBytes);
        Assert.Equal(AuditLine.MaxBytes, marker.GetProperty("cap_bytes").GetInt32());
        Assert.Equal("192.0.2.7", marker.GetProperty("remote_ip").GetString());
        Assert.StartsWith("😀😀", marker.GetProperty("plugin_id").GetString(), StringComparison.Ordinal);

        // A single long field is cut instead, so the event (and who caused it) survives.
        Assert.Equal("plugin_installed", lines[1].GetProperty("event").GetString());
        Assert.EndsWith("…[truncated]", lines[1].GetProperty("data").GetProperty("plugin_id").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Escaping_that_outgrows_the_cap_cuts_the_largest_fields_by_bytes_and_keeps_identifying_ones()
    {
        // 512 emoji are 1024 UTF-16 chars (under the char cut) but 6 KiB escaped (\uD83D\uDE00 each).
        var emoji = string.Concat(Enumerable.Repeat("😀", 512));
        var line = AuditLine.Serialize(DateTimeOffset.UnixEpoch, AuditEvents.AuthFailure, new Dictionary<string, object?>
        {
            ["remote_ip"] = "192.0.2.7",
            ["plugin_id"] = "webhook",
            ["method"] = "GET",
            ["path"] = "/control/" + emoji,
            ["reason"] = "invalid token " + emoji,
            ["failures_in_window"] = 3,
        });

        Assert.InRange(line.Length, AuditLine.MaxBytes - 64, AuditLine.MaxBytes);
        using var doc = JsonDocument.Parse(line.AsMemory(0, line.Length - 1));
        Assert.Equal(AuditEvents.AuthFailure, doc.RootElement.GetProperty("event").GetString());
        var data = doc.RootElement.GetProperty("data");
        Assert.Equal("192.0.2.7", data.GetProperty("remote_ip").GetString());
        Assert.Equal("webhook", data.GetProperty("plugin_id").GetString());
        Assert.Equal("GET", data.GetProperty("method").GetString());
        Assert.Equal(3, data.GetProperty("failures_in_window").GetInt32());
        var path = data.GetProperty("path").GetString()!;
        var reason = data.GetProperty("reason").GetString()!;
        Assert.StartsWith("/control/😀", path, StringComparison.Ordinal);
        Assert.EndsWith("…[truncated]", path, StringComparison.Ordinal);
        Assert.StartsWith("invalid token 😀", reason, StringComparison.Ordinal);
        // No surrogate pair was cut in half.
        Assert.DoesNotContain(path.Replace("😀", string.Empty, StringComparison.Ordinal), char.IsSurrogate);
    }

    [Fact]
    public void Every_line_is_at_most_4096_bytes_and_parses_whatever_the_data()
    {
        var value = Gen.OneOf<object?>(
            Gen.String.Select(s => (object?)s),
            Gen.Char.Array[0, 3000].Select(c => (object?)new string(c)),
            Gen.Long.Select(l => (object?)l),
            Gen.Double.Select(d => (object?)d),
            Gen.Bool.Select(b => (object?)b),
            Gen.String.Array[0, 50].Select(a => (object?)a),
            Gen.Bool.Select(_ => (object?)null));
        var data = Gen.Dictionary(Gen.String[0, 40], value)[0, 12];

        Gen.Select(Gen.String[0, 200], data).Sample((name, fields) =>
        {
            var line = AuditLine.Serialize(DateTimeOffset.UnixEpoch, name, fields);
            Assert.True(line.Length <= AuditLine.MaxBytes, $"{line.Length} bytes");
            Assert.Equal((byte)'\n', line[^1]);
            Assert.Equal(1, line.Count(b => b == (byte)'\n'));
            using var doc = JsonDocument.Parse(line.AsMemory(0, line.Length - 1));
            Assert.Equal(JsonValueKind.Object, doc.RootElement.GetProperty("data").ValueKind);
        }, iter: 500);
    }

    [Fact]
    public async Task Concurrent_writers_never_interleave_lines()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "audit.jsonl");
        const int Threads = 8;
        const int PerThread = 400;

        // Two writer instances on one file stand in for two processes; each has its own O_APPEND descriptor.
        await using (var first = Create(path))
        await using (var second = Create(path))
        {
            await Parallel.ForAsync(0, Threads, async (t, _) =>
            {
                var audit = t % 2 == 0 ? first : second;
                for (var i = 0; i < PerThread; i++)
                {
                    audit.Write("concurrency", new Dictionary<string, object?>
                    {
                        ["thread"] = t,
                        ["seq"] = i,
                        ["pad"] = new string((char)('a' + t), (i * 37 % 1000) + 1),
                    });
                    if (i % 50 == 0)
                    {
                        await Task.Yield();
                    }
                }
            });
        }

        var lines = Lines(path);
        Assert.Equal(Threads * PerThread, lines.Count);
        foreach (var group in lines.GroupBy(l => l.GetProperty("data").GetProperty("thread").GetInt32()))
        {
            var pad = group.Select(l => l.GetProperty("data").GetProperty("pad").GetString()!).ToList();
            Assert.All(pad, p => Assert.True(p.All(c => c == (char)('a' + group.Key))));
            Assert.Equal(Enumerable.Range(0, PerThread), group.Select(l => l.GetProperty("data").GetProperty("seq").GetInt32()).Order());
        }
    }

    [Fact]
    public async Task A_full_queue_drops_without_blocking_and_every_event_is_written_or_counted()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "audit.jsonl");
        const int Total = 20_000;
        await using (var audit = Create(path, capacity: 4))
        {
            await Parallel.ForAsync(0, 4, (t, _) =>
            {
                for (var i = 0; i < Total / 4; i++)
                {
                    audit.Write("burst", new Dictionary<string, object?> { ["i"] = i, ["pad"] = new string('p', 500) });
                }

                return ValueTask.CompletedTask;
            });
        }

        var lines = Lines(path);
        var written = lines.Count(l => l.GetProperty("event").GetString() == "burst");
        var reports = lines.Where(l => l.GetProperty("event").GetString() == AuditEvents.AuditEventsDropped).ToList();
        var dropped = reports.Sum(l => l.GetProperty("data").GetProperty("dropped_count").GetInt64());
        Assert.Equal(Total, written + dropped);
        Assert.All(reports, r =>
        {
            Assert.True(r.GetProperty("data").TryGetProperty("first_drop_ts", out _));
            Assert.True(r.GetProperty("data").TryGetProperty("last_drop_ts", out _));
        });
    }

    [Fact]
    public async Task Events_that_cannot_be_written_are_counted_and_reported_once_the_file_is_writable()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "not-yet");
        var path = Path.Combine(missing, "audit.jsonl");
        var time = new FakeTimeProvider();
        await using (var audit = Create(path, time))
        {
            for (var i = 0; i < 5; i++)
            {
                audit.Write("lost", new Dictionary<string, object?> { ["i"] = i });
            }

            await Poll.UntilAsync(() => audit.PendingDropped == 5, TimeSpan.FromSeconds(10), "five drops to be counted");
            Directory.CreateDirectory(missing);
            time.Advance(TimeSpan.FromSeconds(6));
            audit.Write("kept", new Dictionary<string, object?>());
        }

        var lines = Lines(path);
        Assert.Equal(["kept", AuditEvents.AuditEventsDropped], lines.Select(l => l.GetProperty("event").GetString()));
        Assert.Equal(5, lines[1].GetProperty("data").GetProperty("dropped_count").GetInt64());
    }

    [Fact]
    public async Task Drops_are_reported_on_a_timer_even_when_no_later_event_arrives()
    {
        using var dir = new TempDirectory();
        var missing = Path.Combine(dir.Path, "not-yet");
        var path = Path.Combine(missing, "audit.jsonl");
        var time = new FakeTimeProvider();
        await using var audit = Create(path, time);
        for (var i = 0; i < 3; i++)
        {
            audit.Write("lost", new Dictionary<string, object?> { ["i"] = i });
        }

        await Poll.UntilAsync(() => audit.PendingDropped == 3, TimeSpan.FromSeconds(10), "three drops to be counted");
        Directory.CreateDirectory(missing);

        time.Advance(FileAuditLog.DropReportInterval);

        await Poll.UntilAsync(() => File.Exists(path) && File.ReadAllText(path).EndsWith("\n", StringComparison.Ordinal),
            TimeSpan.FromSeconds(10), "the drop report");
        var report = Assert.Single(Lines(path));
        Assert.Equal(AuditEvents.AuditEventsDropped, report.GetProperty("event").GetString());
        Assert.Equal(3, report.GetProperty("data").GetProperty("dropped_count").GetInt64());
        Assert.Equal(0, audit.PendingDropped);
    }

    [Fact]
    public void The_rotation_size_is_50_mb_as_documented()
    {
        // "MB" is decimal here, as in docs/security.md and upstream's 50 MB; MiB is written MiB.
        Assert.Equal(50_000_000, FileAuditLog.DefaultRotateBytes);
        var doc = File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "security.md"));
        Assert.Contains("At 50 MB (50 000 000 bytes) the file is renamed to `audit.jsonl.1`", doc, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_file_rotates_to_dot_1_at_the_size_limit()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "audit.jsonl");
        await using (var audit = Create(path, rotateBytes: 20_000))
        {
            for (var i = 0; i < 100; i++)
            {
                audit.Write("rotating", new Dictionary<string, object?> { ["i"] = i, ["pad"] = new string('r', 250) });
            }
        }

        var rotated = Lines(path + ".1");
        var current = Lines(path);
        Assert.True(new FileInfo(path + ".1").Length <= 20_000);
        Assert.Equal(Enumerable.Range(0, 100), rotated.Concat(current).Select(l => l.GetProperty("data").GetProperty("i").GetInt32()));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path + ".1"));
    }

    [Fact]
    public async Task Disposing_flushes_everything_queued()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "audit.jsonl");
        await using (var audit = Create(path))
        {
            for (var i = 0; i < 5000; i++)
            {
                audit.Write("flush", new Dictionary<string, object?> { ["i"] = i });
            }
        }

        Assert.Equal(5000, File.ReadLines(path).Count());
    }

    [Fact]
    public async Task The_reader_returns_the_newest_lines_skipping_a_torn_one_and_continuing_into_dot_1()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "audit.jsonl");
        var older = new StringBuilder();
        for (var i = 0; i < 3000; i++)
        {
            older.Append("{\"ts\":\"t\",\"event\":\"old\",\"data\":{\"i\":").Append(i).Append(",\"pad\":\"").Append('o', 40).Append("\"}}\n");
        }

        await File.WriteAllTextAsync(path + ".1", older.ToString());
        await File.WriteAllTextAsync(path,
            "{\"ts\":\"t\",\"event\":\"new\",\"data\":{\"i\":0}}\nnot json\n{\"ts\":\"t\",\"event\":\"new\",\"data\":{\"i\":1}}\n{\"ts\":\"t\",\"event\":\"tor");

        var newest = AuditFileReader.ReadNewest(path, 2);
        Assert.Equal(["new", "new"], newest.Lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("event").GetString()));
        Assert.Equal(2, newest.Skipped);

        var many = AuditFileReader.ReadNewest(path, 2500);
        Assert.Equal(2500, many.Lines.Count);
        var indexes = many.Lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("data").GetProperty("i").GetInt32()).ToList();
        Assert.Equal(Enumerable.Range(502, 2498).Append(0).Append(1), indexes);

        Assert.Empty(AuditFileReader.ReadNewest(Path.Combine(dir.Path, "none.jsonl"), 5).Lines);
    }

    private static int FindFd(string path)
    {
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget == path)
                {
                    return int.Parse(Path.GetFileName(fd), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            catch (IOException)
            {
            }
        }

        throw new InvalidOperationException("descriptor not found");
    }
}
