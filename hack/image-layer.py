#!/usr/bin/env python3
"""Writes one reproducible image layer (an uncompressed tar) from a list of entries.

hack/build-image.sh uses it; it can be run alone to inspect a layer:
    hack/image-layer.py --out layer.tar --mtime 0 < spec

The spec has one entry a line, fields separated by tabs:
    host     PATH                 the host's PATH at the same place in the image, every
                                  symlink on the way (directories and the file itself)
                                  reproduced as the same symlink, then the file it names
    copy     SRC  DST  [MODE]     a host file (or directory tree) at DST
    text     SRC  DST  MODE       like copy, for generated files (passwd, group)
    dir      DST  MODE  UID  GID  a directory with that mode and owner
    symlink  DST  TARGET          a symbolic link

Everything is owned by 0:0 unless a dir entry says otherwise, every entry carries the
same mtime, user and group names are empty (numeric owners only), entries are sorted by
path and parents are added before their children: the same inputs give the same bytes.
Paths are resolved through the image's own symlinks (/lib/x when /lib -> usr/lib lands in
/usr/lib/x), never through the host's.
"""
import argparse
import io
import os
import stat
import sys
import tarfile


class Layer:
    def __init__(self):
        self.entries = {}  # image path (absolute, normalised) -> dict

    # --- image paths -------------------------------------------------------------
    def resolve(self, path, final=False):
        """The path an entry at `path` really lands on: the image's symlinks on the way
        are followed (the last component too when final is True)."""
        parts = [p for p in path.split("/") if p]
        for _ in range(64):
            cur = ""
            for i, comp in enumerate(parts):
                nxt = cur + "/" + comp
                e = self.entries.get(nxt)
                last = i == len(parts) - 1
                if e and e["type"] == "symlink" and (not last or final):
                    target = e["target"]
                    base = target if target.startswith("/") else os.path.dirname(nxt) + "/" + target
                    parts = [p for p in os.path.normpath(base + "/" + "/".join(parts[i + 1:])).split("/") if p]
                    break
                cur = nxt
            else:
                return cur or "/"
        sys.exit(f"image-layer: too many symlinks resolving {path}")

    def put(self, path, entry):
        path = self.resolve(os.path.normpath("/" + path))
        old = self.entries.get(path)
        if old is not None:
            if old == entry:
                return path
            if old["type"] == "dir" and entry["type"] == "dir" and old.get("implicit"):
                pass  # an explicit directory entry overrides one added as a parent
            elif entry["type"] == "dir" and entry.get("implicit"):
                return path
            else:
                sys.exit(f"image-layer: {path} is given twice, differently: {old} and {entry}")
        self.entries[path] = entry
        parent = os.path.dirname(path)
        if parent != "/" and path != "/":
            self.put(parent, {"type": "dir", "mode": 0o755, "uid": 0, "gid": 0, "implicit": True})
        return path

    # --- entry kinds -------------------------------------------------------------
    def file(self, src, dst, mode=None):
        st = os.stat(src)
        if mode is None:
            mode = 0o755 if st.st_mode & 0o111 else 0o644
        self.put(dst, {"type": "file", "src": os.path.realpath(src), "mode": mode})

    def tree(self, src, dst):
        if not os.path.isdir(src) or os.path.islink(src):
            return self.file(src, dst)
        self.put(dst, {"type": "dir", "mode": 0o755, "uid": 0, "gid": 0})
        for name in sorted(os.listdir(src)):
            s, d = os.path.join(src, name), dst.rstrip("/") + "/" + name
            if os.path.islink(s):
                self.put(d, {"type": "symlink", "target": os.readlink(s)})
            elif os.path.isdir(s):
                self.tree(s, d)
            else:
                self.file(s, d)

    def host(self, path, depth=0):
        if depth > 40:
            sys.exit(f"image-layer: too many symlinks under {path}")
        parts = [p for p in os.path.normpath(path).split("/") if p]
        cur = ""
        for i, comp in enumerate(parts):
            nxt = cur + "/" + comp
            if os.path.islink(nxt):
                target = os.readlink(nxt)
                self.put(nxt, {"type": "symlink", "target": target})
                base = target if target.startswith("/") else cur + "/" + target
                rest = "/".join(parts[i + 1:])
                return self.host(os.path.normpath(base + ("/" + rest if rest else "")), depth + 1)
            cur = nxt
        if not os.path.exists(cur):
            sys.exit(f"image-layer: {cur} does not exist on this machine")
        self.tree(cur, cur)

    # --- output ------------------------------------------------------------------
    def write(self, out, mtime):
        with open(out, "wb") as f, tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(self.entries):
                e = self.entries[path]
                info = tarfile.TarInfo(path.lstrip("/"))
                info.mtime = mtime
                info.uid, info.gid = e.get("uid", 0), e.get("gid", 0)
                info.uname = info.gname = ""
                if e["type"] == "dir":
                    info.type, info.mode = tarfile.DIRTYPE, e["mode"]
                    tar.addfile(info)
                elif e["type"] == "symlink":
                    info.type, info.linkname, info.mode = tarfile.SYMTYPE, e["target"], 0o777
                    tar.addfile(info)
                else:
                    with open(e["src"], "rb") as src:
                        data = src.read()
                    info.type, info.mode, info.size = tarfile.REGTYPE, e["mode"], len(data)
                    tar.addfile(info, io.BytesIO(data))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="the layer tarball to write")
    ap.add_argument("--mtime", type=int, default=0, help="seconds since the epoch, for every entry")
    ap.add_argument("--list", action="store_true", help="print the entries written, one a line")
    args = ap.parse_args()
    layer = Layer()
    for n, line in enumerate(sys.stdin, 1):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        f = line.split("\t")
        kind, rest = f[0], f[1:]
        try:
            if kind == "host" and len(rest) == 1:
                layer.host(rest[0])
            elif kind in ("copy", "text") and len(rest) in (2, 3):
                mode = int(rest[2], 8) if len(rest) == 3 else None
                if kind == "copy" and mode is None:
                    layer.tree(rest[0], rest[1])
                else:
                    layer.file(rest[0], rest[1], mode)
            elif kind == "dir" and len(rest) == 4:
                layer.put(rest[0], {"type": "dir", "mode": int(rest[1], 8), "uid": int(rest[2]), "gid": int(rest[3])})
            elif kind == "symlink" and len(rest) == 2:
                layer.put(rest[0], {"type": "symlink", "target": rest[1]})
            else:
                sys.exit(f"image-layer: spec line {n} not understood: {line!r}")
        except OSError as e:
            sys.exit(f"image-layer: spec line {n} ({line!r}): {e}")
    layer.write(args.out, args.mtime)
    if args.list:
        for path in sorted(layer.entries):
            e = layer.entries[path]
            extra = " -> " + e["target"] if e["type"] == "symlink" else ""
            print(f"{e['type']}\t{path}{extra}")


if __name__ == "__main__":
    main()
