using System.Text.Json;
using Carapace.Host.Auth;
using Carapace.Host.PluginHosting;
using Carapace.Host.Security;
using Carapace.Plugins.Install;
using Carapace.Plugins.Packaging;
using Carapace.Protocol;
using Carapace.Protocol.Plugins;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Carapace.Host.Api;

/// <summary>
/// Managed plugins: <c>POST /control/plugins/install</c> and <c>POST /control/plugins/update</c> (a
/// <c>multipart/form-data</c> upload with a <c>package</c> file part, or JSON <c>{path, link, …}</c> naming a
/// package on this machine, accepted only from a direct loopback client), <c>DELETE /control/plugins/{id}</c>
/// (<c>?keepFiles=&amp;dryRun=</c>) and <c>GET /control/doctor/plugins</c>. Every refusal is problem+json with
/// the installer's code (400/403/404/409/422); auth and CSRF apply as on every control route.
/// </summary>
internal static class PluginInstallApi
{
    public const string PathRequiresLoopbackCode = "install_path_requires_loopback";

    /// <summary>The upload route's body cap: the largest archive the reader accepts plus room for the multipart framing.</summary>
    public static readonly long UploadLimit = PackageLimits.Default.MaxArchiveBytes + (1024 * 1024);

    private const int MaxFieldBytes = 64;

    public static IEndpointRouteBuilder MapPluginInstall(this IEndpointRouteBuilder control)
    {
        control.MapPost("/plugins/install", (HttpContext context, PluginInstaller installer) => InstallAsync(context, installer, update: false))
            .WithBodyLimit(UploadLimit);
        control.MapPost("/plugins/update", (HttpContext context, PluginInstaller installer) => InstallAsync(context, installer, update: true))
            .WithBodyLimit(UploadLimit);
        control.MapDelete("/plugins/{id}", async (string id, bool? keepFiles, bool? dryRun, HttpContext context, PluginInstaller installer) =>
        {
            try
            {
                var outcome = await installer.UninstallAsync(id, keepFiles ?? false, dryRun ?? false, ClientAddress.Of(context).Text, context.RequestAborted);
                return outcome.Leaked
                    ? ControlProblem.Create(StatusCodes.Status409Conflict, InstallCodes.Leaked, "Uninstalled, restart required", outcome.Message,
                        new Dictionary<string, object?> { ["plugin"] = outcome.Plugin?.ToSummary() })
                    : Results.Ok(outcome.ToResponse());
            }
            catch (InstallException ex)
            {
                return Problem(ex);
            }
        });
        control.MapGet("/doctor/plugins", (PluginDoctor doctor) => TypedResults.Ok(doctor.Examine().ToResponse()));
        return control;
    }

    private static async Task<IResult> InstallAsync(HttpContext context, PluginInstaller installer, bool update)
    {
        string? upload = null;
        try
        {
            InstallRequest request;
            if (context.Request.HasFormContentType)
            {
                (request, upload) = await ReadUploadAsync(context, installer.Store);
            }
            else if (context.Request.HasJsonContentType())
            {
                request = await ReadLocalPathAsync(context);
            }
            else
            {
                return ControlProblem.Create(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Unsupported media type",
                    "Upload the package as multipart/form-data (a 'package' file part), or send JSON {\"path\": ...} from this machine.");
            }

            var outcome = await installer.InstallAsync(request with { Update = update, Actor = ClientAddress.Of(context).Text }, context.RequestAborted);
            return Results.Ok(outcome.ToResponse());
        }
        catch (InstallException ex)
        {
            return Problem(ex);
        }
        finally
        {
            Tree.TryDelete(upload);
        }
    }

    private static async Task<InstallRequest> ReadLocalPathAsync(HttpContext context)
    {
        PluginInstallRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(context.Request.Body, ProtocolJson.Default.PluginInstallRequest, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            throw Invalid("invalid_request", $"the body must be JSON {{\"path\": \"/abs/path.zip\", ...}} ({ex.Message})");
        }

        if (body?.Path is not { Length: > 0 } path)
        {
            throw Invalid("invalid_request", "'path' is required (or upload the package as multipart/form-data)");
        }

        // A path names a file on this machine: only a client on this machine may choose one.
        if (!LocalDirectRequest.IsLocalDirect(context))
        {
            throw new InstallException(InstallFailure.Forbidden, PathRequiresLoopbackCode,
                "a package path is accepted only from a direct loopback client; upload the package as multipart/form-data instead");
        }

        if (!Path.IsPathFullyQualified(path))
        {
            throw Invalid("install_path_not_absolute", $"'{path}' is not an absolute path");
        }

        return new InstallRequest(path, path)
        {
            Link = body.Link,
            AllowUnsigned = body.AllowUnsigned,
            AllowUnvetted = body.AllowUnvetted,
            Yes = body.Yes,
        };
    }

    /// <summary>
    /// Streams the <c>package</c> part into an owner-only file under <c>.staging</c> (never memory, never
    /// the system temp dir) and reads the flags from the other parts. Hand-written over
    /// <see cref="MultipartReader"/> rather than <c>ReadFormAsync</c>, which buffers files in the shared temp directory.
    /// </summary>
    private static async Task<(InstallRequest Request, string Upload)> ReadUploadAsync(HttpContext context, ManagedPluginStore store)
    {
        if (!store.IsEnabled)
        {
            throw new InstallException(InstallFailure.Conflict, InstallCodes.Unavailable, "this host has no state directory for managed plugins");
        }

        var boundary = MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            ? HeaderUtilities.RemoveQuotes(type.Boundary).Value
            : null;
        if (string.IsNullOrEmpty(boundary) || !type!.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw Invalid("invalid_request", "expected multipart/form-data with a boundary");
        }

        var fields = new Dictionary<string, bool>(StringComparer.Ordinal);
        string? upload = null;
        string? fileName = null;
        try
        {
            var reader = new MultipartReader(boundary, context.Request.Body);
            for (var section = await reader.ReadNextSectionAsync(context.RequestAborted); section is not null;
                 section = await reader.ReadNextSectionAsync(context.RequestAborted))
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                {
                    throw Invalid("invalid_request", "every part needs Content-Disposition: form-data");
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty;
                if (name == "package" && upload is null)
                {
                    fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                    upload = store.Layout.NewStagingPath(".zip");
                    await SaveAsync(section.Body, upload, context.RequestAborted);
                }
                else if (name is "link" or "allowUnsigned" or "allowUnvetted" or "yes" && !fields.ContainsKey(name))
                {
                    fields[name] = await ReadFlagAsync(section.Body, name, context.RequestAborted);
                }
                else
                {
                    throw Invalid("invalid_request", $"unexpected or repeated part '{name}' (expected: package, allowUnsigned, allowUnvetted, yes)");
                }
            }
        }
        catch (Exception ex) when (ex is not BadHttpRequestException and (IOException or InvalidDataException))
        {
            // BadHttpRequestException (an IOException) is Kestrel's body cap: it stays a 413.
            Tree.TryDelete(upload);
            throw Invalid("invalid_request", $"the multipart body cannot be read: {ex.Message}");
        }
        catch
        {
            Tree.TryDelete(upload);
            throw;
        }

        if (upload is null)
        {
            throw Invalid("invalid_request", "the 'package' file part is missing");
        }

        if (fields.GetValueOrDefault("link"))
        {
            Tree.TryDelete(upload);
            throw Invalid("link_requires_path", "--link registers a directory on the gateway's machine; send its path as JSON from that machine");
        }

        var display = "upload:" + SafeName(fileName);
        return (new InstallRequest(upload, display)
        {
            AllowUnsigned = fields.GetValueOrDefault("allowUnsigned"),
            AllowUnvetted = fields.GetValueOrDefault("allowUnvetted"),
            Yes = fields.GetValueOrDefault("yes"),
        }, upload);
    }

    private static async Task SaveAsync(Stream body, string path, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using var file = new FileStream(path, options);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > PackageLimits.Default.MaxArchiveBytes)
            {
                throw new InstallException(InstallFailure.Refused, PackageErrorCodes.TooLarge,
                    $"the uploaded archive is over {PackageLimits.Default.MaxArchiveBytes} bytes");
            }

            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private static async Task<bool> ReadFlagAsync(Stream body, string name, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxFieldBytes + 1];
        var length = await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
        var text = System.Text.Encoding.UTF8.GetString(buffer, 0, length).Trim();
        return length <= MaxFieldBytes && bool.TryParse(text, out var value)
            ? value
            : throw Invalid("invalid_request", $"form field '{name}' must be true or false");
    }

    private static string SafeName(string? fileName)
    {
        var name = Path.GetFileName(fileName ?? string.Empty);
        var safe = new string(name.Where(c => c is >= ' ' and <= '~').Take(128).ToArray());
        return safe.Length > 0 ? safe : "package.zip";
    }

    private static InstallException Invalid(string code, string message) => new(InstallFailure.InvalidRequest, code, message);

    private static IResult Problem(InstallException ex)
    {
        var (status, title) = ex.Failure switch
        {
            InstallFailure.InvalidRequest => (StatusCodes.Status400BadRequest, "Invalid request"),
            InstallFailure.Forbidden => (StatusCodes.Status403Forbidden, "Forbidden"),
            InstallFailure.NotFound => (StatusCodes.Status404NotFound, "Not installed"),
            InstallFailure.Conflict => (StatusCodes.Status409Conflict, "Conflict"),
            InstallFailure.NotActive => (StatusCodes.Status409Conflict, "Installed, not active"),
            _ => (StatusCodes.Status422UnprocessableEntity, "Package refused"),
        };
        var extensions = new Dictionary<string, object?>();
        if (ex.Findings.Count > 0)
        {
            extensions["findings"] = ex.Findings.Select(f => f.ToSummary()).ToList();
        }

        if (ex.Plugin is not null)
        {
            extensions["plugin"] = ex.Plugin.ToSummary();
        }

        return ControlProblem.Create(status, ex.Code, title, ex.Message, extensions);
    }
}
