#!/usr/bin/env python3
"""Writes docs/crd-reference.md from the CustomResourceDefinitions in crds/.

    python3 docs/gen-crd-reference.py            # rewrite docs/crd-reference.md
    python3 docs/gen-crd-reference.py --check    # exit 1 (with a diff) when it is out of date

Every field of every served version: type, default, validation (required,
enum, bounds, lengths, pattern, list semantics, the CEL rules' messages) and
description, exactly as the schema states them, so the reference cannot drift
from what the API server enforces. The CTest `crd_reference_up_to_date` runs
--check.
"""

from __future__ import annotations

import difflib
import glob
import json
import os
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "docs", "crd-reference.md")


def one_line(s) -> str:
    return " ".join(str(s).split())


def text(s) -> str:
    """Prose from the schema, with <placeholders> kept visible in rendered Markdown."""
    return one_line(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cell(s: str) -> str:
    # GFM tables split on '|' even inside code spans.
    return s.replace("|", "\\|")


def code(v) -> str:
    text = v if isinstance(v, str) else json.dumps(v, separators=(", ", ": "))
    tick = "``" if "`" in text else "`"
    pad = " " if "`" in text else ""
    return f"{tick}{pad}{text}{pad}{tick}"


def type_of(s: dict) -> str:
    if s.get("x-kubernetes-int-or-string"):
        return "integer or string"
    t = s.get("type", "")
    if t == "array":
        return "[]" + type_of(s.get("items", {}))
    if t == "object" and "additionalProperties" in s and not s.get("properties"):
        ap = s["additionalProperties"]
        return "map[string]" + (type_of(ap) if isinstance(ap, dict) else "any")
    if s.get("format") and t in ("integer", "number", "string"):
        return f"{t} ({s['format']})"
    if s.get("x-kubernetes-preserve-unknown-fields") and t == "object" and not s.get("properties"):
        return "object (any fields)"
    return t or "any"


def rules(s: dict, required: bool) -> list[str]:
    out = []
    if required:
        out.append("**required**")
    if "enum" in s:
        out.append("one of " + ", ".join(code(v) for v in s["enum"]))
    for key, word in (("minimum", "≥"), ("maximum", "≤")):
        if key in s:
            excl = s.get("exclusive" + key.capitalize())
            out.append(f"{'>' if excl and key == 'minimum' else '<' if excl else word} {s[key]}")
    for key, word in (("minLength", "length ≥"), ("maxLength", "length ≤"), ("minItems", "items ≥"),
                      ("maxItems", "items ≤"), ("minProperties", "keys ≥"), ("maxProperties", "keys ≤")):
        if key in s:
            out.append(f"{word} {s[key]}")
    if "pattern" in s:
        out.append("pattern " + code(s["pattern"]))
    if "x-kubernetes-list-type" in s:
        lt = s["x-kubernetes-list-type"]
        out.append(f"list type {lt}" + (f" (keys {', '.join(s.get('x-kubernetes-list-map-keys', []))})"
                                        if lt == "map" else ""))
    for v in s.get("x-kubernetes-validations", []):
        transition = " (on update)" if "oldSelf" in v.get("rule", "") else ""
        if v.get("message"):
            msg = text(v["message"])
        elif v.get("messageExpression"):
            msg = "message " + code(one_line(v["messageExpression"]))
        else:
            msg = "rule " + code(one_line(v["rule"]))
        out.append(f"CEL{transition}: {msg}")
    return out


def walk(s: dict, path: str, required: bool, rows: list) -> None:
    found = rules(s, required)
    desc = text(s.get("description", ""))
    # Scalar list items and map values get no row of their own: their rules
    # and description go on the list's or map's row.
    for key, word in (("items", "each item"), ("additionalProperties", "each value")):
        inner = s.get(key)
        if isinstance(inner, dict) and not inner.get("properties"):
            found += [f"{word}: {r}" for r in rules(inner, False)]
            if inner.get("description"):
                desc += f" {word.capitalize()}: {text(inner['description'])}"
    rows.append((path, type_of(s), code(s["default"]) if "default" in s else "", found, desc.strip()))
    children = s.get("properties", {})
    if s.get("type") == "array" and isinstance(s.get("items"), dict):
        children = s["items"].get("properties", {})
        req = set(s["items"].get("required", []))
        path += "[]"
    elif s.get("type") == "object" and isinstance(s.get("additionalProperties"), dict) and not children:
        children = s["additionalProperties"].get("properties", {})
        req = set(s["additionalProperties"].get("required", []))
        path += "[*]"
    else:
        req = set(s.get("required", []))
    for name, sub in children.items():
        walk(sub, f"{path}.{name}", name in req, rows)


def table(rows: list) -> list[str]:
    out = ["| field | type | default | validation | description |", "| --- | --- | --- | --- | --- |"]
    for path, typ, default, rule_list, desc in rows:
        out.append("| " + " | ".join(cell(x) for x in (code(path), typ, default, "<br>".join(rule_list), desc)) + " |")
    return out


def render() -> str:
    crds = []
    for f in sorted(glob.glob(os.path.join(ROOT, "crds", "*.yaml"))):
        for doc in yaml.safe_load_all(open(f, encoding="utf-8")):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                crds.append((os.path.relpath(f, ROOT), doc))
    crds.sort(key=lambda c: (c[1]["spec"]["names"]["kind"] != "NotificationChannel", c[1]["spec"]["names"]["kind"]))
    lines = [
        "# CRD reference",
        "",
        "<!-- Generated by docs/gen-crd-reference.py from crds/*.yaml: do not edit by hand. -->",
        "<!-- Regenerate with `python3 docs/gen-crd-reference.py`; the test crd_reference_up_to_date fails when this file is stale. -->",
        "",
        "Every field of Herald's custom resources as the API server validates it. "
        "\"CEL\" lines are the messages of the schema's `x-kubernetes-validations` rules "
        "(\"on update\": a transition rule comparing with the stored object). Fields written "
        "`a[]` are list items, `a[*]` map values. See [design.md](design.md) for what the "
        "operator does with them and [sidecar-config.md](sidecar-config.md) for the worker "
        "configuration the operator renders from them.",
        "",
    ]
    lines += [f"- [{d['spec']['names']['kind']}](#{d['spec']['names']['kind'].lower()})" for _, d in crds]
    for src, d in crds:
        spec, names = d["spec"], d["spec"]["names"]
        lines += ["", f"## {names['kind']}", ""]
        facts = [
            f"`{spec['group']}/{v['name']}`" for v in spec["versions"] if v.get("served")
        ]
        lines.append(
            f"API version {', '.join(facts)}, {spec['scope'].lower()}; plural `{names['plural']}`"
            + (f", short name{'s' if len(names.get('shortNames', [])) > 1 else ''} "
               + ", ".join(f"`{n}`" for n in names["shortNames"]) if names.get("shortNames") else "")
            + (f", categories {', '.join(f'`{c}`' for c in names['categories'])}" if names.get("categories") else "")
            + f". Source: [`{src}`](../{src}).")
        for v in spec["versions"]:
            if not v.get("served"):
                continue
            schema = v["schema"]["openAPIV3Schema"]
            lines += ["", text(schema.get("description", ""))]
            if v.get("subresources"):
                lines += ["", "Subresources: " + ", ".join(f"`{k}`" for k in v["subresources"]) + "."]
            top = rules(schema, False)
            if top:
                lines += ["", "Rules on the whole object:", ""] + [f"- {r}" for r in top]
            cols = v.get("additionalPrinterColumns", [])
            if cols:
                lines += ["", f"`kubectl get {names.get('shortNames', [names['plural']])[0]}` columns "
                          "(priority 1: only with `-o wide`):", "",
                          "| column | type | JSONPath | priority | description |", "| --- | --- | --- | --- | --- |"]
                for c in cols:
                    lines.append("| " + " | ".join(cell(x) for x in (
                        c["name"], c["type"], code(c["jsonPath"]), str(c.get("priority", 0)),
                        text(c.get("description", "")))) + " |")
            for part in ("spec", "status"):
                if part not in schema.get("properties", {}):
                    continue
                rows = []
                walk(schema["properties"][part], part, part in schema.get("required", []), rows)
                lines += ["", f"### {names['kind']} {part}", ""] + table(rows)
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv[1:] == ["--check"]:
        current = open(OUT, encoding="utf-8").read() if os.path.exists(OUT) else ""
        if current == text:
            print("docs/crd-reference.md is up to date with crds/")
            return 0
        sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), text.splitlines(True),
                                                   "docs/crd-reference.md (committed)", "generated from crds/"))
        print("\ndocs/crd-reference.md is stale: run python3 docs/gen-crd-reference.py", file=sys.stderr)
        return 1
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    open(OUT, "w", encoding="utf-8").write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
