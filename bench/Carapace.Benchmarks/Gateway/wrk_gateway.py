#!/usr/bin/env python3
"""Full gateway stack vs bare Kestrel, with wrk (not BenchmarkDotNet: this measures a real server over sockets).

Usage (from the repository root; needs wrk: apt-get install -y wrk):
    python3 bench/Carapace.Benchmarks/Gateway/wrk_gateway.py [connections=32] [threads=1] [reps=5]

Builds a Release `cara` and a bare Kestrel app (one MapGet("/health"), logging providers cleared: the
"bare" of docs/performance.md) into a scratch dir, starts both on loopback, and runs interleaved 10 s
wrk reps (A B C D, A B C D, ...) so machine noise hits every case alike. Cases:
  bare         bare Kestrel, GET /health
  cara         `cara start` with defaults, authenticated GET /control/status
  cara-health  the same gateway, GET /health
  cara-full    `cara start` with logging.requests: true and rate limiting applied to loopback
               (exemptLoopback: false, limits too high to trip), authenticated GET /control/status
Reports rps, p99 and server CPU per request (utime+stime from /proc) as min/median/max, and each
case's rps as a ratio of the same rep's bare rps.
"""
import os, re, statistics, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
TOKEN = "perf-token-0123456789abcdef"
BARE_PROGRAM = """var builder = WebApplication.CreateBuilder(args);
builder.Logging.ClearProviders();
var app = builder.Build();
app.MapGet("/health", () => new { status = "ok" });
app.Run("http://127.0.0.1:" + args[0]);
"""
BARE_PROJECT = """<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net10.0</TargetFramework>
<ImplicitUsings>enable</ImplicitUsings><ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally></PropertyGroup></Project>"""
FULL_CONFIG = """gateway:
  rateLimit:
    exemptLoopback: false
    requestsPerSecond: 1000000
    burst: 1000000
logging:
  requests: true
"""


def build(scratch):
    bare = os.path.join(scratch, "bare")
    os.makedirs(bare)
    open(os.path.join(bare, "bare.csproj"), "w").write(BARE_PROJECT)
    open(os.path.join(bare, "Program.cs"), "w").write(BARE_PROGRAM)
    subprocess.run(["dotnet", "publish", "-c", "Release", "-o", os.path.join(bare, "out")], cwd=bare, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["dotnet", "publish", os.path.join(ROOT, "host", "Carapace.Cli"), "-c", "Release", "-o", os.path.join(scratch, "cara")],
                   check=True, stdout=subprocess.DEVNULL)
    open(os.path.join(scratch, "full.yaml"), "w").write(FULL_CONFIG)
    open(os.path.join(scratch, "auth.lua"), "w").write(f'wrk.headers["Authorization"] = "Bearer {TOKEN}"\n')


def start(cmd, port, env):
    process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.time() + 60
    while time.time() < deadline:
        if subprocess.run(["curl", "-s", "-o", "/dev/null", f"http://127.0.0.1:{port}/health"]).returncode == 0:
            return process
        time.sleep(0.1)
    process.kill()
    raise SystemExit("server did not start: " + " ".join(cmd))


def cpu_ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wrk(url, script, seconds, connections, threads):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"] + (["-s", script] if script else []) + [url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, requests, int(bad.group(1)) if bad else 0


def main():
    connections, threads, reps = (int(a) for a in (sys.argv[1:] + ["32", "1", "5"][len(sys.argv) - 1:])[:3])
    with tempfile.TemporaryDirectory(prefix="carapace-wrk-") as scratch:
        build(scratch)
        env = dict(os.environ, CARAPACE_GATEWAY_TOKEN=TOKEN)
        env.pop("CARAPACE_CONFIG_PATH", None)
        cara = os.path.join(scratch, "cara", "cara")
        auth = os.path.join(scratch, "auth.lua")
        bare = start(["dotnet", os.path.join(scratch, "bare", "out", "bare.dll"), "5301"], 5301, env)
        plain = start([cara, "start", "--port", "5302"], 5302, dict(env, CARAPACE_STATE_DIR=os.path.join(scratch, "state1")))
        full = start([cara, "start", "--port", "5303", "--config", os.path.join(scratch, "full.yaml")], 5303,
                     dict(env, CARAPACE_STATE_DIR=os.path.join(scratch, "state2")))
        cases = {
            "bare": (bare.pid, "http://127.0.0.1:5301/health", None),
            "cara": (plain.pid, "http://127.0.0.1:5302/control/status", auth),
            "cara-health": (plain.pid, "http://127.0.0.1:5302/health", None),
            "cara-full": (full.pid, "http://127.0.0.1:5303/control/status", auth),
        }
        try:
            for _, url, script in cases.values():
                wrk(url, script, 3, connections, threads)
            results = {name: [] for name in cases}
            for rep in range(reps):
                for name, (pid, url, script) in cases.items():
                    before = cpu_ticks(pid)
                    rps, p99, requests, bad = wrk(url, script, 10, connections, threads)
                    cpu = (cpu_ticks(pid) - before) * 1e6 / os.sysconf("SC_CLK_TCK") / requests
                    results[name].append((rps, p99, cpu, bad))
                    print(f"rep {rep} {name:12s} rps={rps:.0f} p99={p99:.2f}ms cpu={cpu:.1f}us/req non2xx={bad}", flush=True)
        finally:
            for process in (bare, plain, full):
                process.terminate()

    print(f"== wrk -t{threads} -c{connections}, {reps} interleaved reps of 10 s (min/median/max)")
    for name, rows in results.items():
        rps = [r[0] for r in rows]
        p99 = [r[1] for r in rows]
        ratio = [rows[i][0] / results["bare"][i][0] for i in range(reps)]
        print(f"{name:12s} rps {min(rps):.0f}/{statistics.median(rps):.0f}/{max(rps):.0f}"
              f"  p99 ms {min(p99):.2f}/{statistics.median(p99):.2f}/{max(p99):.2f}"
              f"  cpu us/req {statistics.median(r[2] for r in rows):.1f}"
              f"  vs bare {min(ratio):.2f}/{statistics.median(ratio):.2f}/{max(ratio):.2f}"
              f"  non-2xx {sum(r[3] for r in rows)}")


if __name__ == "__main__":
    main()
