using System.Diagnostics;
using System.Text;
using Carapace.Abstractions.Credentials;
using Carapace.Host.Credentials;
using Carapace.Host.Tests.Credentials.Support;

namespace Carapace.Host.Tests.Credentials;

/// <summary>
/// One store file is created per class and copied into each test's state dir, so the Argon2id key
/// (64 MiB, t = 3) is derived once for the class and then served from the per-process cache.
/// </summary>
public sealed class EncryptedStoreTemplate : IDisposable
{
    public const string Password = "fallback-test-password";
    public const string SeedKey = "test:seed:value";
    public const string SeedValue = "seed-secret-5f1d";

    private readonly TempStateDirectory _dir = new();

    public EncryptedStoreTemplate()
    {
        var backend = new EncryptedFileCredentialBackend(_dir.State, Password);
        backend.SetAsync(SeedKey, SeedValue, CancellationToken.None).GetAwaiter().GetResult();
        Bytes = File.ReadAllBytes(backend.FilePath);
    }

    public byte[] Bytes { get; }

    public void Dispose() => _dir.Dispose();
}

public sealed class EncryptedFileCredentialBackendTests : IClassFixture<EncryptedStoreTemplate>, IDisposable
{
    private readonly TempStateDirectory _dir = new();
    private readonly EncryptedFileCredentialBackend _backend;

    public EncryptedFileCredentialBackendTests(EncryptedStoreTemplate template)
    {
        _backend = new EncryptedFileCredentialBackend(_dir.State, EncryptedStoreTemplate.Password);
        _dir.State.EnsureSubdirectory("credentials");
        File.WriteAllBytes(_backend.FilePath, template.Bytes);
        File.SetUnixFileMode(_backend.FilePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Values_round_trip_and_the_file_holds_no_plaintext()
    {
        const string secret = "plaintext-canary-7c2e9a";
        await _backend.SetAsync("test:file:a", secret, CancellationToken.None);

        Assert.Equal(secret, await _backend.GetAsync("test:file:a", CancellationToken.None));
        Assert.Equal(EncryptedStoreTemplate.SeedValue, await _backend.GetAsync(EncryptedStoreTemplate.SeedKey, CancellationToken.None));
        var bytes = File.ReadAllBytes(_backend.FilePath);
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(secret)));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(EncryptedStoreTemplate.SeedValue)));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.Unicode.GetBytes(secret)));
        Assert.Equal(-1, bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(EncryptedStoreTemplate.Password)));
        var grep = await ProcessRunner.RunAsync("grep", ["-c", secret, _backend.FilePath]);
        Assert.Equal(1, grep.ExitCode);
    }

    [Fact]
    public async Task File_is_owner_only_and_replaced_atomically()
    {
        await _backend.SetAsync("test:file:mode", "v", CancellationToken.None);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_backend.FilePath));
        Assert.Empty(Directory.GetFiles(_dir.CredentialsDir, "*.tmp"));
    }

    [Fact]
    public async Task Delete_removes_only_that_entry()
    {
        await _backend.SetAsync("test:file:gone", "v", CancellationToken.None);

        Assert.True(await _backend.DeleteAsync("test:file:gone", CancellationToken.None));
        Assert.False(await _backend.DeleteAsync("test:file:gone", CancellationToken.None));
        Assert.Null(await _backend.GetAsync("test:file:gone", CancellationToken.None));
        Assert.Equal(EncryptedStoreTemplate.SeedValue, await _backend.GetAsync(EncryptedStoreTemplate.SeedKey, CancellationToken.None));
    }

    [Fact]
    public async Task Wrong_password_is_a_clear_error_and_nothing_is_overwritten()
    {
        var before = File.ReadAllBytes(_backend.FilePath);
        var wrong = new EncryptedFileCredentialBackend(_dir.State, "not-the-password");

        var read = await Assert.ThrowsAsync<CredentialException>(() => wrong.GetAsync(EncryptedStoreTemplate.SeedKey, CancellationToken.None));
        var write = await Assert.ThrowsAsync<CredentialException>(() => wrong.SetAsync("test:file:x", "v", CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.PasswordInvalid, read.Code);
        Assert.Equal(CredentialErrorCodes.PasswordInvalid, write.Code);
        Assert.Contains("CARAPACE_CONFIG_PASSWORD", read.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(_backend.FilePath));
    }

    [Theory]
    [InlineData(60)]   // inside the verifier
    [InlineData(100)]  // inside the first entry
    [InlineData(-5)]   // inside the trailer
    public async Task Corrupted_file_is_reported_and_never_reset(int offset)
    {
        var bytes = File.ReadAllBytes(_backend.FilePath);
        bytes[offset >= 0 ? offset : bytes.Length + offset] ^= 0x40;
        File.WriteAllBytes(_backend.FilePath, bytes);

        var read = await Assert.ThrowsAsync<CredentialException>(() => _backend.GetAsync(EncryptedStoreTemplate.SeedKey, CancellationToken.None));
        var write = await Assert.ThrowsAsync<CredentialException>(() => _backend.SetAsync("test:file:x", "v", CancellationToken.None));

        Assert.Contains(read.Code, new[] { CredentialErrorCodes.StoreCorrupt, CredentialErrorCodes.PasswordInvalid });
        Assert.Equal(read.Code, write.Code);
        Assert.Equal(bytes, File.ReadAllBytes(_backend.FilePath));
    }

    [Fact]
    public async Task Damaged_entry_value_is_reported_as_corrupt()
    {
        var bytes = File.ReadAllBytes(_backend.FilePath);
        bytes[^40] ^= 0x01; // last byte of the seed entry's tag region, before the trailer
        File.WriteAllBytes(_backend.FilePath, bytes);

        var error = await Assert.ThrowsAsync<CredentialException>(() => _backend.GetAsync(EncryptedStoreTemplate.SeedKey, CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.StoreCorrupt, error.Code);
        Assert.NotNull(error.Hint);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(28)]
    [InlineData(50)]
    public async Task Truncated_file_is_reported_and_never_reset(int cut)
    {
        var bytes = File.ReadAllBytes(_backend.FilePath)[..^cut];
        File.WriteAllBytes(_backend.FilePath, bytes);

        var read = await Assert.ThrowsAsync<CredentialException>(() => _backend.GetAsync(EncryptedStoreTemplate.SeedKey, CancellationToken.None));
        var write = await Assert.ThrowsAsync<CredentialException>(() => _backend.SetAsync("test:file:x", "v", CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.StoreCorrupt, read.Code);
        Assert.Equal(CredentialErrorCodes.StoreCorrupt, write.Code);
        Assert.Contains("truncated", read.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(_backend.FilePath));
    }

    [Fact]
    public async Task Trailing_garbage_is_reported()
    {
        File.AppendAllText(_backend.FilePath, "x");

        var error = await Assert.ThrowsAsync<CredentialException>(() => _backend.GetAsync(EncryptedStoreTemplate.SeedKey, CancellationToken.None));

        Assert.Equal(CredentialErrorCodes.StoreCorrupt, error.Code);
    }

    [Fact]
    public async Task Concurrent_writers_in_one_process_lose_no_update()
    {
        // Three instances = three independent handles and gates, as three processes would have.
        var writers = new[]
        {
            _backend,
            new EncryptedFileCredentialBackend(_dir.State, EncryptedStoreTemplate.Password),
            new EncryptedFileCredentialBackend(_dir.State, EncryptedStoreTemplate.Password),
        };

        await Task.WhenAll(Enumerable.Range(0, 30).Select(i =>
            Task.Run(() => writers[i % 3].SetAsync($"test:concurrent:k{i}", $"value-{i}", CancellationToken.None))));

        for (var i = 0; i < 30; i++)
        {
            Assert.Equal($"value-{i}", await _backend.GetAsync($"test:concurrent:k{i}", CancellationToken.None));
        }
    }

    [Fact]
    public async Task Writer_waits_for_a_lock_held_by_another_process()
    {
        await _backend.SetAsync("test:lock:warmup", "v", CancellationToken.None);
        var holder = Process.Start(new ProcessStartInfo("flock", ["-x", _backend.LockPath, "-c", "echo locked; read line"])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync());

            var timedOut = new EncryptedFileCredentialBackend(_dir.State, EncryptedStoreTemplate.Password, TimeSpan.FromMilliseconds(300));
            var error = await Assert.ThrowsAsync<CredentialException>(() => timedOut.SetAsync("test:lock:a", "v", CancellationToken.None));
            Assert.Equal(CredentialErrorCodes.StoreTimeout, error.Code);

            var waiting = _backend.SetAsync("test:lock:b", "v", CancellationToken.None);
            Assert.False(waiting.IsCompleted);
            await holder.StandardInput.WriteLineAsync("release");
            await holder.WaitForExitAsync();
            await waiting.WaitAsync(TimeSpan.FromSeconds(10));

            Assert.Equal("v", await _backend.GetAsync("test:lock:b", CancellationToken.None));
            Assert.Null(await _backend.GetAsync("test:lock:a", CancellationToken.None));
        }
        finally
        {
            if (!holder.HasExited)
            {
                holder.Kill();
            }

            holder.Dispose();
        }
    }

    [Fact]
    public async Task Get_without_a_file_creates_nothing()
    {
        using var empty = new TempStateDirectory();
        var backend = new EncryptedFileCredentialBackend(empty.State, EncryptedStoreTemplate.Password);

        Assert.Null(await backend.GetAsync("test:file:a", CancellationToken.None));
        Assert.False(File.Exists(backend.FilePath));
    }
}
