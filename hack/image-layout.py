#!/usr/bin/env python3
"""Writes an OCI image layout (oci-layout, index.json, blobs/sha256/...) around one layer
tarball: the gzip'd layer, the image config and the manifest. hack/build-image.sh uses it
and pushes the layout with `crane push`, so the tag moves once, to the finished image.

    hack/image-layout.py --layer layer.tar --out DIR --created EPOCH \\
        [--entrypoint ARG]... [--cmd ARG]... [--user UID:GID] [--port 8080/tcp]... \\
        [--env K=V]... [--label K=V]... [--workdir DIR] [--platform linux/amd64]

Prints the manifest digest. The same inputs give the same bytes: gzip without a name or
time, JSON with sorted keys, `created` from --created (seconds since the epoch). Labels
are also set as manifest annotations, where registries look for them.
"""
import argparse
import datetime
import gzip
import hashlib
import json
import os
import shutil


def dumps(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


class Blobs:
    def __init__(self, out):
        self.dir = os.path.join(out, "blobs", "sha256")
        os.makedirs(self.dir, exist_ok=True)

    def add(self, data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(self.dir, digest), "wb") as f:
            f.write(data)
        return "sha256:" + digest, len(data)

    def add_file(self, path):
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        digest = h.hexdigest()
        target = os.path.join(self.dir, digest)
        os.replace(path, target)
        return "sha256:" + digest, os.path.getsize(target)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layer", required=True, help="the layer, an uncompressed tar")
    ap.add_argument("--out", required=True, help="the layout directory (emptied first)")
    ap.add_argument("--created", type=int, default=0, help="seconds since the epoch")
    ap.add_argument("--entrypoint", action="append", default=[])
    ap.add_argument("--cmd", action="append", default=[])
    ap.add_argument("--user", default="")
    ap.add_argument("--port", action="append", default=[])
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--label", action="append", default=[])
    ap.add_argument("--workdir", default="")
    ap.add_argument("--platform", default="linux/amd64")
    ap.add_argument("--created-by", default="hack/build-image.sh")
    a = ap.parse_args()

    shutil.rmtree(a.out, ignore_errors=True)
    blobs = Blobs(a.out)
    created = datetime.datetime.fromtimestamp(a.created, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    # The layer: diff_id over the tar, digest over the gzip (no name, mtime 0: reproducible).
    diff = hashlib.sha256()
    gz_path = os.path.join(a.out, "layer.tar.gz")
    with open(a.layer, "rb") as src, open(gz_path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
            for chunk in iter(lambda: src.read(1 << 20), b""):
                diff.update(chunk)
                gz.write(chunk)
    layer_digest, layer_size = blobs.add_file(gz_path)

    osname, _, arch = a.platform.partition("/")
    arch, _, variant = arch.partition("/")
    labels = dict(kv.split("=", 1) for kv in a.label)
    cfg = {}
    if a.user:
        cfg["User"] = a.user
    if a.port:
        cfg["ExposedPorts"] = {p if "/" in p else p + "/tcp": {} for p in a.port}
    if a.env:
        cfg["Env"] = a.env
    if a.entrypoint:
        cfg["Entrypoint"] = a.entrypoint
    if a.cmd:
        cfg["Cmd"] = a.cmd
    if a.workdir:
        cfg["WorkingDir"] = a.workdir
    if labels:
        cfg["Labels"] = labels
    config = {
        "created": created,
        "architecture": arch,
        "os": osname,
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + diff.hexdigest()]},
        "history": [{"created": created, "created_by": a.created_by}],
    }
    if variant:
        config["variant"] = variant
    config_digest, config_size = blobs.add(dumps(config))

    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": layer_digest, "size": layer_size}],
    }
    if labels:
        manifest["annotations"] = labels
    manifest_digest, manifest_size = blobs.add(dumps(manifest))

    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": manifest["mediaType"], "digest": manifest_digest, "size": manifest_size,
                       "platform": {"os": osname, "architecture": arch, **({"variant": variant} if variant else {})}}],
    }
    with open(os.path.join(a.out, "index.json"), "wb") as f:
        f.write(dumps(index))
    with open(os.path.join(a.out, "oci-layout"), "wb") as f:
        f.write(dumps({"imageLayoutVersion": "1.0.0"}))
    print(manifest_digest)


if __name__ == "__main__":
    main()
