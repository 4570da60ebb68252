#!/usr/bin/env python3
"""The Dockerfile describes the image `make image` builds (hack/operator-image.sh).

No Docker engine runs here, so the Dockerfile is compared by its declarations: the final
stage's base (scratch: any base would add files), ENTRYPOINT, CMD, USER, EXPOSE, ENV,
WORKDIR and LABEL keys (fixed values equal, ${ARG} values declared) against the pushed
image's config; its COPY destinations against the pushed image's files; and the build
stage's `hack/operator-image.sh --rootfs` run here gives the same files (paths, modes,
owners, link targets) as the pushed image.

Usage: dockerfile-consistency.py PATH-TO-mlmodel-operator   (needs the cluster env)
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def instructions(path):
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out, cur = [], ""
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not cur and (not line.strip() or line.lstrip().startswith("#")):
                continue
            if cur and line.lstrip().startswith("#"):
                continue
            if line.endswith("\\"):
                cur += line[:-1] + " "
                continue
            cur += line
            word, _, rest = cur.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
            cur = ""
    return out


def pairs(text):
    """KEY=VALUE pairs of LABEL and ENV, shell-quoted values."""
    result = {}
    for token in shlex.split(text):
        key, eq, value = token.partition("=")
        if not eq:
            raise ValueError(f"not KEY=VALUE: {token!r} (the legacy 'ENV KEY VALUE' form is not used here)")
        result[key] = value
    return result


def exec_form(text):
    text = text.strip()
    if text.startswith("["):
        return json.loads(text)
    return ["/bin/sh", "-c", text]


def parse_dockerfile(path):
    stages, cur = [], None
    for word, rest in instructions(path):
        if word == "FROM":
            parts = rest.split()
            cur = {"from": parts[0], "name": parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None,
                   "run": [], "copy": [], "labels": {}, "env": {}, "args": {}, "expose": [],
                   "user": None, "entrypoint": None, "cmd": None, "workdir": None}
            stages.append(cur)
        elif word == "RUN":
            cur["run"].append(rest)
        elif word in ("COPY", "ADD"):
            tokens = shlex.split(rest)
            flags = [t for t in tokens if t.startswith("--")]
            paths = [t for t in tokens if not t.startswith("--")]
            cur["copy"].append({"op": word, "flags": flags, "srcs": paths[:-1], "dst": paths[-1]})
        elif word == "LABEL":
            cur["labels"].update(pairs(rest))
        elif word == "ENV":
            cur["env"].update(pairs(rest))
        elif word == "ARG":
            name, _, default = rest.partition("=")
            cur["args"][name.strip()] = default
        elif word == "EXPOSE":
            cur["expose"] += [p if "/" in p else p + "/tcp" for p in rest.split()]
        elif word == "USER":
            cur["user"] = rest
        elif word == "ENTRYPOINT":
            cur["entrypoint"] = exec_form(rest)
        elif word == "CMD":
            cur["cmd"] = exec_form(rest)
        elif word == "WORKDIR":
            cur["workdir"] = rest
    return stages


def run(*cmd, env=None, capture=True):
    r = subprocess.run(cmd, env=env, text=True, capture_output=capture)
    if r.returncode != 0:
        sys.exit(f"FAIL: {' '.join(cmd)} exited {r.returncode}: {r.stderr.strip()}")
    return r.stdout


def entries(tar_path, prefix=""):
    """path -> (type, mode, uid, gid, link target) of a tarball's entries."""
    out = {}
    with tarfile.open(tar_path) as t:
        for m in t.getmembers():
            name = m.name[2:] if m.name.startswith("./") else m.name
            name = name.lstrip("/").rstrip("/")
            if name in ("", "."):
                continue
            kind = "dir" if m.isdir() else "symlink" if m.issym() else "file" if m.isfile() else "other"
            out[name] = (kind, oct(m.mode), m.uid, m.gid, m.linkname if m.issym() else "")
    return out


def main():
    operator = os.path.abspath(sys.argv[1])
    registry = os.environ.get("REGISTRY")
    if not registry:
        sys.exit('FAIL: REGISTRY is not set: run under hack/test.sh or eval "$(hack/cluster.sh env)"')
    env = dict(os.environ)
    tools = run("bash", "-c", f'. "{REPO}/hack/lib.sh"; echo "$CRANE_BIN"').strip()
    env["PATH"] = env["PATH"] + os.pathsep + tools
    image = f"{registry}/test/mlmodel-operator:dockerfile-test-{os.getpid()}"
    env["IMAGE"] = image

    stages = parse_dockerfile(os.path.join(REPO, "Dockerfile"))
    final = stages[-1]
    build = {s["name"]: s for s in stages if s["name"]}

    print("-- the image make image builds")
    digest = run(os.path.join(REPO, "hack/operator-image.sh"), operator, env=env).strip()
    config = json.loads(run("crane", "config", "--insecure", image, env=env))["config"]
    tmp = tempfile.mkdtemp()
    try:
        run("crane", "export", "--insecure", image, os.path.join(tmp, "image.tar"), env=env)
        image_files = entries(os.path.join(tmp, "image.tar"))

        print("-- the final stage's declarations against the image's config")
        if final["from"] != "scratch":
            fail(f"the final stage starts FROM {final['from']}; the image has no base (FROM scratch)")
        if final["entrypoint"] != config.get("Entrypoint"):
            fail(f"ENTRYPOINT {final['entrypoint']} != image {config.get('Entrypoint')}")
        if final["cmd"] != config.get("Cmd"):
            fail(f"CMD {final['cmd']} != image {config.get('Cmd')}")
        if final["user"] != config.get("User"):
            fail(f"USER {final['user']} != image {config.get('User')}")
        if sorted(final["expose"]) != sorted(config.get("ExposedPorts", {})):
            fail(f"EXPOSE {final['expose']} != image {sorted(config.get('ExposedPorts', {}))}")
        image_env = dict(e.split("=", 1) for e in config.get("Env", []))
        if final["env"] != image_env:
            fail(f"ENV {final['env']} != image {image_env}")
        if (final["workdir"] or "") != config.get("WorkingDir", ""):
            fail(f"WORKDIR {final['workdir']} != image {config.get('WorkingDir', '')}")
        labels = config.get("Labels", {})
        if sorted(final["labels"]) != sorted(labels):
            fail(f"LABEL keys {sorted(final['labels'])} != image {sorted(labels)}")
        for key, value in final["labels"].items():
            refs = re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", value)
            for ref in refs:
                if ref not in final["args"]:
                    fail(f"LABEL {key} uses ${{{ref}}}, which no ARG of the final stage declares")
            if not refs and labels.get(key) != value:
                fail(f"LABEL {key}={value!r} != image {labels.get(key)!r}")
        version = final["args"].get("VERSION")
        if version is not None and version != labels.get("org.opencontainers.image.version"):
            fail(f"ARG VERSION={version} != the image's version {labels.get('org.opencontainers.image.version')}")

        print("-- COPY destinations against the image's files")
        rootfs_copies = []
        for c in final["copy"]:
            if c["op"] != "COPY":
                fail(f"{c['op']} in the final stage: use COPY")
                continue
            frm = next((f.split("=", 1)[1] for f in c["flags"] if f.startswith("--from=")), None)
            chown = next((f.split("=", 1)[1] for f in c["flags"] if f.startswith("--chown=")), None)
            dst = c["dst"].strip("/")
            if dst and dst not in image_files:
                fail(f"COPY to /{dst}: the image has no /{dst}")
                continue
            if chown and dst:
                uid, _, gid = chown.partition(":")
                have = image_files[dst]
                if (str(have[2]), str(have[3])) != (uid, gid or uid):
                    fail(f"COPY --chown={chown} /{dst}: the image's is {have[2]}:{have[3]}")
            if frm not in build:
                fail(f"COPY from {frm!r}, not a build stage of the Dockerfile")
                continue
            if not dst:
                rootfs_copies.append((frm, c["srcs"]))

        print("-- the build stage's rootfs, laid out here by the same command, against the image's files")
        if len(rootfs_copies) != 1:
            fail(f"want one COPY of a whole rootfs to /, found {len(rootfs_copies)}")
        else:
            frm, srcs = rootfs_copies[0]
            src = srcs[0].rstrip("/") if len(srcs) == 1 else None
            cmds = [r for r in build[frm]["run"] if "hack/operator-image.sh --rootfs" in r]
            if not cmds or src is None:
                fail(f"the build stage {frm!r} does not lay out its rootfs with hack/operator-image.sh --rootfs")
            else:
                words = shlex.split(cmds[0].split("hack/operator-image.sh --rootfs", 1)[1])
                if len(words) < 2 or words[1].rstrip("/") != src:
                    fail(f"hack/operator-image.sh --rootfs writes {words[1:2]}, COPY takes {src}")
                rootfs = os.path.join(tmp, "rootfs")
                run(os.path.join(REPO, "hack/operator-image.sh"), "--rootfs", operator, rootfs, env=env)
                run("tar", "-C", rootfs, "--numeric-owner", "-cf", os.path.join(tmp, "rootfs.tar"), ".")
                built = entries(os.path.join(tmp, "rootfs.tar"))
                if built != image_files:
                    only_b = sorted(set(built) - set(image_files))
                    only_i = sorted(set(image_files) - set(built))
                    differ = sorted(p for p in set(built) & set(image_files) if built[p] != image_files[p])
                    fail(f"the Dockerfile's rootfs and the image differ: only in the rootfs {only_b[:10]}, "
                         f"only in the image {only_i[:10]}, different "
                         f"{[(p, built[p], image_files[p]) for p in differ[:10]]}")
                else:
                    print(f"   {len(built)} entries, the same")
    finally:
        shutil.rmtree(tmp)
    if failures:
        sys.exit(f"{len(failures)} difference(s) between the Dockerfile and the image")
    print(f"PASS: the Dockerfile describes {image}@{digest}")


if __name__ == "__main__":
    main()
