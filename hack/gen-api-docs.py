#!/usr/bin/env python3
"""Writes docs/api.md, the MLModel API reference, from the CRD's OpenAPI schema: every
field of spec and status with its type, default, bounds and description. The tests run it
with --check, which fails when docs/api.md is not what the CRD says."""
import json
import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRD = os.path.join(ROOT, "crds", "serving.mlops.dev_mlmodels.yaml")
OUT = os.path.join(ROOT, "docs", "api.md")


def type_of(s):
    t = s.get("type", "")
    if t == "array":
        return f"[]{type_of(s.get('items', {}))}"
    if s.get("x-kubernetes-int-or-string"):
        return "int or string"
    return t or "any"


def constraints(s):
    out = []
    if "default" in s:
        out.append(f"default `{json.dumps(s['default'])}`")
    if "enum" in s:
        out.append("one of " + ", ".join(f"`{e}`" for e in s["enum"]))
    for k, word in (("minimum", "min"), ("maximum", "max"), ("minLength", "min length"),
                    ("maxLength", "max length"), ("minItems", "min items"), ("maxItems", "max items")):
        if k in s:
            out.append(f"{word} {s[k]}")
    for v in s.get("x-kubernetes-validations", []):
        out.append(f"rule: {v.get('message', v['rule'])}")
    return "; ".join(out)


def rows(s, path, required=()):
    props = s.get("properties", {})
    if s.get("type") == "array":
        props = s.get("items", {}).get("properties", {})
        required = s.get("items", {}).get("required", [])
    else:
        required = s.get("required", [])
    for name, sub in props.items():
        p = f"{path}.{name}" if path else name
        desc = " ".join(sub.get("description", "").split())
        req = " (required)" if name in required else ""
        yield f"| `{p}`{req} | {type_of(sub)} | {constraints(sub)} | {desc} |"
        if sub.get("type") == "object" and sub.get("properties") or (
                sub.get("type") == "array" and sub.get("items", {}).get("properties")):
            yield from rows(sub, p + ("[]" if sub.get("type") == "array" else ""))


def render():
    crd = yaml.safe_load(open(CRD))
    v = crd["spec"]["versions"][0]
    schema = v["schema"]["openAPIV3Schema"]
    g, k = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    lines = [f"# {k} API reference ({g}/{v['name']})", "",
             "Generated from `crds/serving.mlops.dev_mlmodels.yaml` by `hack/gen-api-docs.py`;",
             "do not edit by hand (the tests fail when it is out of date). `kubectl explain",
             "mlmodel.spec` shows the same descriptions.", ""]
    for part in ("spec", "status"):
        sub = schema["properties"][part]
        lines += [f"## {part}", "", " ".join(sub.get("description", "").split()), "",
                  "| field | type | default, bounds, rules | description |",
                  "| --- | --- | --- | --- |"]
        lines += list(rows(sub, part))
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        current = open(OUT).read() if os.path.exists(OUT) else ""
        if current != text:
            sys.exit("docs/api.md is out of date with the CRD: run hack/gen-api-docs.py")
        print("docs/api.md matches the CRD")
    else:
        open(OUT, "w").write(text)
        print(f"wrote {OUT}")
