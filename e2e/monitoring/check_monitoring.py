#!/usr/bin/env python3
"""Checks manifests/monitoring against what Herald's binaries export.

    check_monitoring.py static              # no stack: names from the source, promtool checks
    check_monitoring.py scraped F [F ...]   # names from real /metrics scrapes (files F)
    check_monitoring.py worker-selector     # the workers' ServiceMonitor selector, kubectl -l form

Every metric name used by the alert rules, the Grafana dashboard and the
ServiceMonitor / scrape-config relabelings must be one that herald-sidecar or
herald-operator exports (histograms as <name>_bucket/_sum/_count), or `up`,
which Prometheus itself writes per target. `static` takes the exported names
from the `Build*().Name("...")` calls in the source; `scraped` takes them from
/metrics texts and also checks that every name the source declares really
appears there, so the two lists cannot drift apart. Exit 0 = all good, 1 = a
finding (each printed on one line), 2 = usage or set-up error.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MON = os.path.join(REPO, "manifests", "monitoring")
RULES = os.path.join(MON, "herald-rules.yaml")
PROMETHEUS_RULE = os.path.join(MON, "prometheusrule.yaml")
DASHBOARD = os.path.join(MON, "herald-dashboard.json")
SCRAPE_CONFIG = os.path.join(MON, "prometheus-scrape-config.yaml")
SERVICE_MONITORS = [os.path.join(MON, f) for f in ("servicemonitor-operator.yaml", "servicemonitor-workers.yaml")]
RULE_TESTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "herald-rules.test.yaml")
SOURCE_DIRS = ("sidecar", "operator", "common")

# Written by Prometheus for every target, not by the binaries.
PROMETHEUS_SYNTHETIC = {"up"}

PROMQL_KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "offset", "bool", "inf", "nan", "atan2", "start", "end",
}

# ---------------------------------------------------------------- PromQL names


def promql_metric_names(expr: str) -> set[str]:
    """Metric names an expression selects: identifiers that are not functions,
    keywords, label names or durations. Grafana variables are replaced first."""
    # Grafana's label_values(metric, label) and label_values(label).
    e = re.sub(r"label_values\(\s*([^,()]*?)\s*,\s*\w+\s*\)", r"\1", expr)
    e = re.sub(r"label_values\(\s*\w+\s*\)", "", e)
    e = re.sub(r"\$__\w+|\$\{\w+\}|\$\w+", "5m", e)
    e = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`', '""', e)  # strings
    e = re.sub(r"\{[^}]*\}", "", e)  # label matchers
    e = re.sub(r"\[[^\]]*\]", "", e)  # ranges and subqueries
    # grouping and vector-matching label lists
    e = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", e)
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if rest.startswith("("):
            continue  # a function or an aggregation
        if word.lower() in PROMQL_KEYWORDS:
            continue
        before = e[: m.start()]
        if re.search(r"[0-9.]$", before):
            continue  # 1e3, 5m...
        names.add(word)
    return names


def rule_groups(path: str) -> list:
    doc = yaml.safe_load(open(path))
    return doc["spec"]["groups"] if doc.get("kind") == "PrometheusRule" else doc["groups"]


def used_in_rules(groups: list) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for g in groups:
        for r in g["rules"]:
            where = f"rule {r.get('alert') or r.get('record')}"
            for n in promql_metric_names(str(r["expr"])):
                used.setdefault(n, set()).add(where)
    return used


def used_in_dashboard(dash: dict) -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}

    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(dash.get("panels", [])):
        for t in p.get("targets", []):
            for n in promql_metric_names(t.get("expr", "")):
                used.setdefault(n, set()).add(f"dashboard panel {p.get('title')!r}")
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        q = q.get("query", "") if isinstance(q, dict) else (q or "")
        if v.get("type") == "query":
            for n in promql_metric_names(q):
                used.setdefault(n, set()).add(f"dashboard variable {v.get('name')}")
    return used


def relabel_names(relabelings: list, where: str) -> dict[str, set[str]]:
    """Literal metric names in relabelings on __name__ (keep/drop lists)."""
    used: dict[str, set[str]] = {}
    for r in relabelings or []:
        sources = r.get("sourceLabels") or r.get("source_labels") or []
        if sources != ["__name__"] or "regex" not in r:
            continue
        for alt in str(r["regex"]).strip("()").split("|"):
            if re.fullmatch(r"[A-Za-z_:][A-Za-z0-9_:]*", alt):
                used.setdefault(alt, set()).add(where)
    return used


def used_in_scraping() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in SERVICE_MONITORS:
        sm = yaml.safe_load(open(path))
        for ep in sm["spec"]["endpoints"]:
            for key in ("relabelings", "metricRelabelings"):
                merge(used, relabel_names(ep.get(key), f"{os.path.basename(path)} {key}"))
    cfg = yaml.safe_load(open(SCRAPE_CONFIG))
    for job in cfg["scrape_configs"]:
        for key in ("relabel_configs", "metric_relabel_configs"):
            merge(used, relabel_names(job.get(key), f"scrape config {job['job_name']} {key}"))
    return used


def merge(into: dict, more: dict) -> dict:
    for k, v in more.items():
        into.setdefault(k, set()).update(v)
    return into


def all_used() -> dict[str, set[str]]:
    used = used_in_rules(rule_groups(RULES))
    merge(used, used_in_dashboard(json.load(open(DASHBOARD))))
    merge(used, used_in_scraping())
    return used


# ------------------------------------------------------------ exported names

BUILD_RE = re.compile(r"Build(Counter|Gauge|Histogram|Summary)\(\)\s*\.Name\(\s*\"([A-Za-z_:][A-Za-z0-9_:]*)\"")


def source_families() -> dict[str, str]:
    """{family: type} from the prometheus-cpp builders in non-test sources."""
    fams = {}
    for d in SOURCE_DIRS:
        for root, _, files in os.walk(os.path.join(REPO, d)):
            for f in files:
                if not f.endswith((".cc", ".h")) or f.endswith("_test.cc") or f.startswith("fake_"):
                    continue
                for m in BUILD_RE.finditer(open(os.path.join(root, f), encoding="utf-8").read()):
                    fams[m.group(2)] = m.group(1).lower()
    return fams


def sample_names(families: dict[str, str]) -> set[str]:
    names = set()
    for fam, typ in families.items():
        if typ == "histogram":
            names |= {fam + "_bucket", fam + "_sum", fam + "_count"}
        elif typ == "summary":
            names |= {fam, fam + "_sum", fam + "_count"}
        else:
            names.add(fam)
    return names


def scraped_names(text: str, labels: dict | None = None) -> tuple[set[str], dict[str, str]]:
    """(sample names, {family: type}) of a Prometheus text exposition; adds
    {sample name: label names} to `labels` when given."""
    samples, types = set(), {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, fam, typ = line.split(None, 3)
            types[fam] = typ.strip()
        elif line and not line.startswith("#"):
            name = re.match(r"[A-Za-z_:][A-Za-z0-9_:]*", line).group(0)
            samples.add(name)
            if labels is not None:
                labels.setdefault(name, set()).update(re.findall(r'([A-Za-z_][A-Za-z0-9_]*)="', line))
    return samples, types


# Labels Prometheus adds to every series of a target (job, instance) or that
# the ServiceMonitors / scrape config set (namespace, pod, service, ...).
TARGET_LABELS = {"job", "instance", "namespace", "pod", "service", "endpoint", "container", "herald_channel"}


def expressions() -> list[tuple[str, str]]:
    """(where, PromQL) of every rule and dashboard query."""
    out = [(f"rule {r.get('alert') or r.get('record')}", str(r["expr"]))
           for g in rule_groups(RULES) for r in g["rules"]]
    dash = json.load(open(DASHBOARD))
    out += [(f"dashboard panel {p.get('title')!r}", t["expr"]) for p in dash["panels"] for t in p.get("targets", [])]
    return out


def label_findings(labels: dict[str, set[str]]) -> list[str]:
    """Label names in selectors must exist on that metric; label names in
    by/without/on/ignoring lists on one of the expression's metrics."""
    findings = []
    for where, expr in expressions():
        e = re.sub(r"\$__\w+|\$\{\w+\}|\$\w+", "5m", expr)
        known = set(TARGET_LABELS)
        for m in re.finditer(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}", e):
            metric, matchers = m.group(1), m.group(2)
            have = labels.get(metric, set()) | TARGET_LABELS
            for lab in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers):
                if lab not in have:
                    findings.append(f"{where}: {metric} has no label {lab!r} (it has {sorted(labels.get(metric, []))})")
        for name in promql_metric_names(expr):
            known |= labels.get(name, set())
        for m in re.finditer(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", e):
            for lab in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", m.group(1)):
                if lab not in known:
                    findings.append(f"{where}: no metric of the expression has the label {lab!r}")
    return findings


def unknown(used: dict[str, set[str]], exported: set[str]) -> list[str]:
    return [
        f"{name}: used by {', '.join(sorted(where))}, but no Herald binary exports it"
        for name, where in sorted(used.items())
        if name not in exported and name not in PROMETHEUS_SYNTHETIC
    ]


# ------------------------------------------------------------------- checks


def find_promtool() -> str:
    found = shutil.which("promtool")
    if found:
        return found
    cache = os.environ.get("HERALD_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "herald")
    path = os.path.join(cache, "promtool", "promtool")
    if os.access(path, os.X_OK):
        return path
    print("promtool not found: run scripts/install-deps", file=sys.stderr)
    sys.exit(2)


def promtool(*args: str) -> list[str]:
    r = subprocess.run([find_promtool(), *args], capture_output=True, text=True)
    if r.returncode != 0:
        return [f"promtool {' '.join(args)}: " + (r.stdout + r.stderr).strip().replace("\n", " | ")]
    return []


def check_rule_files() -> list[str]:
    findings = []
    if rule_groups(RULES) != rule_groups(PROMETHEUS_RULE):
        findings.append("prometheusrule.yaml: spec.groups differ from herald-rules.yaml (keep them identical)")
    findings += promtool("check", "rules", RULES)
    with tempfile.TemporaryDirectory() as tmp:
        plain = os.path.join(tmp, "prometheusrule-groups.yaml")
        yaml.safe_dump({"groups": rule_groups(PROMETHEUS_RULE)}, open(plain, "w"))
        findings += promtool("check", "rules", plain)
    findings += promtool("test", "rules", RULE_TESTS)
    return findings


def check_scrape_config() -> list[str]:
    """promtool check config on the example. Debian's promtool is built
    without Kubernetes service discovery, so the kubernetes_sd_configs blocks
    are checked here and swapped for file_sd_configs; everything else
    (relabel rules, rule_files) goes through promtool."""
    findings = []
    cfg = yaml.safe_load(open(SCRAPE_CONFIG))
    for job in cfg["scrape_configs"]:
        for sd in job.get("kubernetes_sd_configs", []):
            extra = set(sd) - {"role", "namespaces"}
            if sd.get("role") != "endpoints" or extra:
                findings.append(f"scrape config {job['job_name']}: kubernetes_sd_configs must be role endpoints "
                                f"(unexpected {sorted(extra)})")
            ns = sd.get("namespaces", {})
            if set(ns) - {"names"} or not all(isinstance(n, str) for n in ns.get("names", [])):
                findings.append(f"scrape config {job['job_name']}: namespaces must be {{names: [...]}}")
        if "kubernetes_sd_configs" in job:
            del job["kubernetes_sd_configs"]
            job["file_sd_configs"] = [{"files": ["targets.json"]}]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(RULES, os.path.join(tmp, "herald-rules.yaml"))
        path = os.path.join(tmp, "prometheus.yml")
        yaml.safe_dump(cfg, open(path, "w"))
        findings += promtool("check", "config", path)
    return findings


def check_dashboard() -> list[str]:
    findings = []
    dash = json.load(open(DASHBOARD))
    ids = [p["id"] for p in dash["panels"]]
    if len(ids) != len(set(ids)):
        findings.append("dashboard: panel ids are not unique")
    for p in dash["panels"]:
        if p["type"] == "row":
            continue
        if p.get("datasource", {}).get("uid") != "${datasource}":
            findings.append(f"dashboard panel {p['title']!r}: datasource is not the ${{datasource}} variable")
        if not p.get("targets"):
            findings.append(f"dashboard panel {p['title']!r}: no queries")
    # The queries must parse: promtool checks them as recording rules, with
    # Grafana's variables replaced by what Grafana would put there.
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    rules = [{"record": f"dashboard:query{i}", "expr": re.sub(r"\$__rate_interval|\$__range|\$__interval", "5m",
                                                              e.replace("$channel", ".*"))}
             for i, e in enumerate(exprs)]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dashboard-queries.yaml")
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(path, "w"))
        findings += promtool("check", "rules", path)
    return findings


def check_service_selectors() -> list[str]:
    """The operator's ServiceMonitor must select the metrics Service that
    manifests/operator ships, on a port named like its endpoint. (The workers'
    Services are made by the operator: the stack test checks that one.)"""
    findings = []
    sm = yaml.safe_load(open(SERVICE_MONITORS[0]))
    want = sm["spec"]["selector"]["matchLabels"]
    ports = {e["port"] for e in sm["spec"]["endpoints"]}
    svc_file = os.path.join(REPO, "manifests", "operator", "metrics_service.yaml")
    if not os.path.exists(svc_file):
        return [f"{svc_file} is missing: what does servicemonitor-operator.yaml select?"]
    svc = yaml.safe_load(open(svc_file))
    labels = svc["metadata"].get("labels", {})
    if any(labels.get(k) != v for k, v in want.items()):
        findings.append(f"servicemonitor-operator.yaml selects {want}, the metrics Service has labels {labels}")
    if not ports <= {p.get("name") for p in svc["spec"]["ports"]}:
        findings.append(f"servicemonitor-operator.yaml scrapes ports {sorted(ports)}, the Service has "
                        f"{[p.get('name') for p in svc['spec']['ports']]}")
    return findings


def selector(path: str) -> str:
    """kubectl -l form of a ServiceMonitor's matchLabels."""
    sm = yaml.safe_load(open(path))
    return ",".join(f"{k}={v}" for k, v in sorted(sm["spec"]["selector"]["matchLabels"].items()))


def self_test(exported: set[str]) -> list[str]:
    """The name check must see a misspelt name in a rule, the dashboard and a
    relabeling, and must not mistake label names, functions or durations."""
    findings = []
    expect = {
        'sum by (channel, le) (rate(herald_delivery_latency_seconds_bucket{channel=~"a/.*"}[5m] offset 1h))':
            {"herald_delivery_latency_seconds_bucket"},
        'max(herald_operator_leader{job="x"}) == bool 0 or on (instance) vector(1) > 1e3':
            {"herald_operator_leader"},
        'label_values(herald_in_flight, channel)': {"herald_in_flight"},
        'a_total / ignoring(result) group_left b_total unless absent(c)': {"a_total", "b_total", "c"},
        'histogram_quantile(0.99, sum by (le) (rate(x_bucket[$__rate_interval])))': {"x_bucket"},
    }
    for expr, want in expect.items():
        got = promql_metric_names(expr)
        if got != want:
            findings.append(f"self-test: names of {expr!r} = {sorted(got)}, want {sorted(want)}")
    groups = copy.deepcopy(rule_groups(RULES))
    groups[0]["rules"][0]["expr"] = "herald_consumer_lagg > 0"
    if not unknown(used_in_rules(groups), exported):
        findings.append("self-test: a misspelt metric in a rule went unnoticed")
    dash = json.load(open(DASHBOARD))
    dash["panels"][1]["targets"][0]["expr"] = "rate(herald_deliveries_totl[5m])"
    if not unknown(used_in_dashboard(dash), exported):
        findings.append("self-test: a misspelt metric in the dashboard went unnoticed")
    if not unknown(relabel_names([{"sourceLabels": ["__name__"], "regex": "herald_in_flite|up", "action": "keep"}],
                                 "x"), exported):
        findings.append("self-test: a misspelt metric in a relabeling went unnoticed")
    return findings


def report(findings: list[str], used: dict, exported: set[str], label: str) -> int:
    for f in findings:
        print("FAIL", f)
    print(f"{len(used)} metric names used ({label}: {len(exported)} exported):")
    for name, where in sorted(used.items()):
        print(f"  {name:50s} {len(where)} use(s)")
    return 1 if findings else 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["worker-selector"]:
        print(selector(SERVICE_MONITORS[1]))
        return 0
    if len(argv) < 2 or argv[1] not in ("static", "scraped"):
        print(__doc__, file=sys.stderr)
        return 2
    used = all_used()
    families = source_families()
    from_source = sample_names(families)
    if not used or not families:
        print("nothing found: wrong paths?", file=sys.stderr)
        return 2
    if argv[1] == "static":
        findings = self_test(from_source)
        findings += unknown(used, from_source)
        findings += check_rule_files()
        findings += check_scrape_config()
        findings += check_dashboard()
        findings += check_service_selectors()
        return report(findings, used, from_source, "names from the source")
    if len(argv) < 3:
        print("scraped: give the /metrics files", file=sys.stderr)
        return 2
    scraped, types, labels = set(), {}, {}
    for path in argv[2:]:
        s, t = scraped_names(open(path).read(), labels)
        scraped |= s
        types.update(t)
    findings = unknown(used, scraped)
    findings += label_findings(labels)
    for fam, typ in sorted(families.items()):
        if types.get(fam) != typ:
            findings.append(f"{fam}: declared as a {typ} in the source, scraped as {types.get(fam) or 'missing'}")
    return report(findings, used, scraped, "names scraped")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
