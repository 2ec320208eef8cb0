"""Shared plumbing for the sidecar benchmarks (bench/sidecar-*).

Each benchmark runs what it compares side by side in one run on the local
stack (`. .stack/env`): real Kafka, the Go sink in bench/sink, herald-sidecar
from the build directory, and optionally the Benthos peer. Numbers are read
from the processes themselves (/proc) and from the sink's receipt log.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import shutil
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# The webhook body both Herald (Template spec.webhook.body) and the peer (a
# Bloblang mapping) send, and wrk posts: the same bytes for the same message.
WEBHOOK_TEMPLATE = ('{"globalId":"{{globalId}}","limit":{{content.limit}},'
                    '"project":"{{content.project}}","used":{{content.used}}}')
BLOBLANG_MAPPING = ('root = {"globalId": this.globalId, "limit": this.content.limit, '
                    '"project": this.content.project, "used": this.content.used}')


def sample_body(global_id: str) -> str:
    return (f'{{"globalId":"{global_id}","limit":10000,"project":"checkout","used":10500}}')


def die(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr)
    sys.exit(1)


def wall_ns() -> int:
    return time.time_ns()


def poll(pred, timeout: float, every: float = 0.05, what: str = "condition"):
    """Polls pred() until it returns a truthy value; dies after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            die(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(every)


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return 0, b""


def http_post(url: str, body: bytes = b"", timeout: float = 5.0) -> int:
    req = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# --- processes


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    started_ns: int

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def cpu_seconds(self) -> float:
        """utime + stime of the process (all its threads) so far."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def status_kib(self, key: str) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def rss_mib(self) -> float:
        return self.status_kib("VmRSS") / 1024

    def peak_rss_mib(self) -> float:
        return self.status_kib("VmHWM") / 1024

    def stop(self, sig=signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.alive():
            self.popen.send_signal(sig)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            return self.popen.wait(5)


def spawn(name: str, argv: list[str], workdir: Path, env: dict | None = None) -> Proc:
    log = workdir / f"{name}.log"
    full_env = dict(os.environ)
    full_env.update(env or {})
    started = wall_ns()
    p = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=full_env,
                         start_new_session=True)
    return Proc(name, p, log, started)


# --- the run context


@dataclass
class Bench:
    name: str
    args: argparse.Namespace
    workdir: Path
    bootstrap: str
    build_dir: Path
    run: str = field(default_factory=lambda: secrets.token_hex(4))
    procs: list = field(default_factory=list)
    topics: list = field(default_factory=list)
    load_at_start: list = field(default_factory=loadavg)

    @property
    def bin(self) -> Path:
        return self.build_dir / "bin"

    def kafka_tool(self, *args: str, capture: bool = True) -> str:
        out = subprocess.run([str(self.bin / "herald-bench-kafka"), *args], check=False, text=True,
                             capture_output=capture)
        if out.returncode != 0:
            die(f"herald-bench-kafka {args[0]} failed: {out.stderr.strip()}")
        return out.stdout

    def create_topics(self, topics: list[str], partitions: int) -> None:
        self.kafka_tool("create-topics", "--bootstrap", self.bootstrap, "--partitions", str(partitions), *topics)
        self.topics += topics

    def spawn(self, name: str, argv: list[str], env: dict | None = None) -> Proc:
        p = spawn(name, argv, self.workdir, env)
        self.procs.append(p)
        return p

    def cleanup(self) -> None:
        for p in self.procs:
            if p.alive():
                p.stop(signal.SIGKILL, 5)
        if self.topics and not self.args.keep:
            subprocess.run([str(self.bin / "herald-bench-kafka"), "delete-topics", "--bootstrap", self.bootstrap,
                            *self.topics], check=False, capture_output=True)

    # --- the sink

    def start_sink(self) -> "Sink":
        sink_bin = ensure_sink(self.build_dir)
        port_file = self.workdir / "sink.port"
        p = self.spawn("sink", [str(sink_bin), "-addr", "127.0.0.1:0", "-port-file", str(port_file)])
        poll(lambda: port_file.exists(), 10, what="the sink's port file")
        return Sink(p, int(port_file.read_text()))

    # --- herald-sidecar

    def sidecar_config(self, topic: str, group: str, url: str, *, concurrency: int, sign: bool,
                       events: bool, kind: str = "webhook", extra: str = "",
                       properties_file: Path | None = None) -> tuple[Path, int]:
        """Writes a sidecar.yaml as the operator renders it; returns it and the probe port."""
        d = self.workdir / f"sidecar-{group}"
        d.mkdir(parents=True, exist_ok=True)
        metrics, probe = free_port(), free_port()
        events_topic = f"{topic}.events" if events else ""
        if events and events_topic not in self.topics:
            self.create_topics([events_topic], 1)
        dlq = f"{topic}.dlq"
        if dlq not in self.topics:
            self.create_topics([dlq], 1)
        lines = [
            f"channel: {{namespace: bench, name: {group.replace('.', '-')}, type: {kind}}}",
            f"kafka: {{bootstrapServers: '{self.bootstrap}', topic: {topic}, deadLetterTopic: {dlq}, "
            f"groupId: {group}, eventsTopic: '{events_topic}'"
            + (f", propertiesFile: {properties_file}" if properties_file else "") + "}",
            f"delivery: {{maxAttempts: 5, backoff: {{initial: 200ms, max: 5s}}, timeout: 10s, "
            f"concurrency: {concurrency}}}",
            "drainTimeout: 10s",
            "template:",
            "  contentVersion: 1",
            f"  webhook: {{body: '{WEBHOOK_TEMPLATE}'}}",
            "  subject: 'Quota exceeded for {{content.project}}'",
            "  text: '{{content.used}} of {{content.limit}} requests used by {{content.project}}.'",
            "  html: '<p><b>{{content.project}}</b>: {{content.used}} / {{content.limit}}</p>'",
        ]
        if kind == "webhook":
            (d / "url").write_text(url)
            sec = f"webhook: {{urlFile: {d / 'url'}"
            if sign:
                # A Standard Webhooks secret: "whsec_" + base64 of random bytes.
                import base64
                (d / "secret").write_text("whsec_" + base64.b64encode(os.urandom(24)).decode())
                sec += f", signingSecretFile: {d / 'secret'}"
            lines.append(sec + "}")
        lines.append(extra)
        lines.append(f"server: {{metricsAddress: '127.0.0.1:{metrics}', probeAddress: '127.0.0.1:{probe}'}}")
        lines.append("log: {level: warn}")
        path = d / "sidecar.yaml"
        path.write_text("\n".join(l for l in lines if l) + "\n")
        return path, probe

    def properties_file(self, props: list[str]) -> Path | None:
        """A kafka.propertiesFile with `props` (K=V each), or None when empty."""
        if not props:
            return None
        path = self.workdir / "client.properties"
        path.write_text("\n".join(props) + "\n")
        return path

    def start_sidecar(self, name: str, config: Path) -> Proc:
        # For profiles only (the numbers are then the wrapper's, not the
        # sidecar's): HERALD_BENCH_SIDECAR_WRAPPER="perf record -g -o /tmp/p.data --"
        wrapper = shlex.split(os.environ.get("HERALD_BENCH_SIDECAR_WRAPPER", ""))
        return self.spawn(name, [*wrapper, str(self.bin / "herald-sidecar"), "--config", str(config)])

    def wait_ready(self, proc: Proc, probe_port: int, timeout: float = 60) -> int:
        """Polls /readyz every 5 ms; returns the wall-clock ns it first answered 200."""
        url = f"http://127.0.0.1:{probe_port}/readyz"

        def ready():
            if not proc.alive():
                die(f"{proc.name} exited ({proc.popen.returncode}): {proc.log.read_text()[-2000:]}")
            return wall_ns() if http_get(url, 1)[0] == 200 else 0
        return poll(ready, timeout, every=0.005, what=f"{proc.name} /readyz")

    # --- the Benthos peer

    def benthos_config(self, topic: str, group: str, url: str, max_in_flight: int,
                       http_port: int | None = None) -> Path:
        cfg = self.workdir / f"benthos-{group}.yaml"
        # Its HTTP server (/ready) only when a readiness time is measured.
        http = f"{{address: '127.0.0.1:{http_port}'}}" if http_port else "{enabled: false}"
        cfg.write_text(f"""# Benthos {{kafka_franz input -> mapping -> http_client output}}, as close to
# the Herald run as the components allow: same topic (own group), same sink,
# same body, same concurrency, offsets committed every second.
http: {http}
logger: {{level: WARN}}
metrics: {{none: {{}}}}
input:
  kafka_franz:
    seed_brokers: ["{self.bootstrap}"]
    topics: ["{topic}"]
    consumer_group: "{group}"
    start_from_oldest: true
    checkpoint_limit: 1024
    commit_period: 1s
pipeline:
  processors:
    - mapping: '{BLOBLANG_MAPPING}'
output:
  http_client:
    url: "{url}"
    verb: POST
    headers:
      Content-Type: application/json
      X-Bench-Id: '${{! meta("kafka_key") }}'
    max_in_flight: {max_in_flight}
    timeout: 10s
    retries: 4
""")
        return cfg


@dataclass
class Sink:
    proc: Proc
    port: int

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stats(self) -> dict:
        code, body = http_get(self.url("/_bench/stats"))
        if code != 200:
            die(f"sink stats: HTTP {code}")
        return json.loads(body)

    def reset(self) -> None:
        if http_post(self.url("/_bench/reset")) != 204:
            die("sink reset failed")

    def receipts(self) -> dict[str, int]:
        """globalId -> first receipt (wall-clock ns)."""
        code, body = http_get(self.url("/_bench/dump"), timeout=60)
        if code != 200:
            die(f"sink dump: HTTP {code}")
        out: dict[str, int] = {}
        for line in body.decode().splitlines():
            gid, ns = line.split()
            out.setdefault(gid, int(ns))
        return out


def ensure_sink(build_dir: Path) -> Path:
    """Builds bench/sink (Go, stdlib only) into the build directory when stale."""
    out = build_dir / "bin" / "herald-bench-sink"
    src = ROOT / "bench" / "sink"
    newest = max(p.stat().st_mtime for p in src.iterdir())
    if not out.exists() or out.stat().st_mtime < newest:
        if not shutil.which("go"):
            die("go is not installed (scripts/install-deps)")
        subprocess.run(["go", "build", "-trimpath", "-o", str(out), "."], cwd=src, check=True)
    return out


def ensure_peer() -> Path:
    out = subprocess.run([str(ROOT / "bench" / "install-peer")], text=True, capture_output=True)
    if out.returncode != 0:
        die("bench/install-peer failed:\n" + out.stderr[-3000:])
    return Path(out.stdout.strip().splitlines()[-1])


# --- command line, results


def parser(name: str, doc: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"bench/{name}", description=doc,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build-dir", default=os.environ.get("HERALD_BUILD_DIR", str(ROOT / "build")),
                   help="where bin/herald-sidecar and bin/herald-bench-kafka are (default: build/)")
    p.add_argument("--out", help="JSON result path (default: bench/results/<name>.json)")
    p.add_argument("--keep", action="store_true", help="keep the topics and the work directory")
    return p


def start(name: str, args: argparse.Namespace) -> Bench:
    bootstrap = os.environ.get("HERALD_KAFKA_BOOTSTRAP")
    if not bootstrap:
        die("HERALD_KAFKA_BOOTSTRAP is not set: start the stack and `. .stack/env`")
    build_dir = Path(args.build_dir).resolve()
    for b in ("herald-sidecar", "herald-bench-kafka"):
        if not (build_dir / "bin" / b).exists():
            die(f"{build_dir}/bin/{b} is missing: ninja -C {build_dir} herald-sidecar herald-bench-kafka")
    workdir = Path(tempfile.mkdtemp(prefix=f"herald-bench-{name}-"))
    return Bench(name, args, workdir, bootstrap, build_dir)


def machine(b: Bench) -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {"cpus": os.cpu_count(), "cpu": cpu, "memGiB": round(mem_kib / 1048576, 1),
            "kernel": platform.release(), "loadavgAtStart": b.load_at_start}


def versions(b: Bench) -> dict:
    def cmd(*argv):
        try:
            return subprocess.run(argv, text=True, capture_output=True, timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return ""
    cache = b.build_dir / "CMakeCache.txt"
    build_type = ""
    if cache.exists():
        for line in cache.read_text().splitlines():
            if line.startswith("CMAKE_BUILD_TYPE:"):
                build_type = line.split("=", 1)[1]
        # The top CMakeLists.txt picks RelWithDebInfo when none is given.
        build_type = build_type or "RelWithDebInfo (project default)"
    git = cmd("git", "-C", str(ROOT), "describe", "--always", "--dirty")
    return {"herald": git, "buildType": build_type,
            "librdkafka": cmd("pkg-config", "--modversion", "rdkafka"),
            "libcurl": cmd("curl-config", "--version"), "go": cmd("go", "version"), "wrk": cmd("wrk", "-v")}


def finish(b: Bench, result: dict, table: list[list], headers: list[str]) -> None:
    result = {"benchmark": b.name, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "machine": machine(b), "versions": versions(b), "loadavgAtEnd": loadavg(), **result}
    widths = [max(len(str(r[i])) for r in [headers] + table) for i in range(len(headers))]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for r in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
    out = Path(b.args.out) if b.args.out else ROOT / "bench" / "results" / f"{b.name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nload average {result['machine']['loadavgAtStart']} -> {result['loadavgAtEnd']}; result: {out}")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, int(round(q * (len(sorted_values) - 1)))))
    return sorted_values[k]


def main_wrapper(name: str, make_parser, body) -> None:
    """Parses the command line, runs body(bench) and always cleans up
    (processes, topics, work directory)."""
    def handler(signum, _frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, handler)
    b = make_parser().parse_args()
    bench = start(name, b)
    try:
        body(bench)
    finally:
        bench.cleanup()
        if not b.keep:
            shutil.rmtree(bench.workdir, ignore_errors=True)
        else:
            print(f"work directory kept: {bench.workdir}")
