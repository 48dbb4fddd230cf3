#!/usr/bin/env python3
"""Fails when a folder of ours includes one it must not (the one-way rule in each folder's README).

Usage: check_layering.py [--root DIR]. Prints one line per forbidden include and exits 1, else 0.
Only includes of our own top-level folders count; third-party headers are not looked at.
"""
import argparse
import pathlib
import re
import sys

# folder -> the folders its files may include (besides itself).
ALLOWED = {
    "proto": {"proto"},
    "runtime": {"runtime", "proto"},
    "operators": {"operators", "runtime", "proto"},
    "connectors": {"connectors", "runtime", "proto"},
    "jobmanager": {"jobmanager", "operators", "runtime", "proto"},
    "taskmanager": {"taskmanager", "operators", "runtime", "proto"},
    "client": {"client", "runtime", "proto"},
}
# Single headers a folder may include beyond its folders: the operator interface that connectors
# implement, and the catalog that lists the built-in operators and the connectors' ones.
ALLOWED_FILES = {
    "connectors": {"operators/operator.h", "operators/config_fields.h", "operators/operator_type.h",
                   "operators/side_output.h"},
}
ALLOWED_FROM = {
    # The operator catalog lists the connectors' operator types beside the built-ins, and
    # chooses the connector behind the transforms' side outputs (SideOutputs()).
    "operators/registry.cc": {"connectors"},
}
# The util layer (ec_util: TCP dial/listen, atomic file writes, time formatting; abseil and libc
# only) sits below everything, so any folder may use it, proto/'s JSON views included.
BASE = ("runtime/util/", "runtime/time_format.h")
OURS = set(ALLOWED) | {"tests", "bench"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SOURCES = (".h", ".cc", ".cpp", ".hpp")


def violations(root: pathlib.Path):
    for folder, allowed in sorted(ALLOWED.items()):
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix not in SOURCES or not path.is_file():
                continue
            rel = path.relative_to(root).as_posix()
            extra = ALLOWED_FROM.get(rel, set())
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = m.group(1)
                top = target.split("/", 1)[0]
                if top not in OURS or "/" not in target:
                    continue
                if (top in allowed or top in extra or target.startswith(BASE)
                        or target in ALLOWED_FILES.get(folder, set())):
                    continue
                yield (f"{rel}:{number}: {folder}/ must not include {target} "
                       f"({folder}/ may include {', '.join(sorted(allowed))})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=pathlib.Path(__file__).resolve().parent.parent,
                        type=pathlib.Path)
    args = parser.parse_args()
    found = list(violations(args.root))
    for line in found:
        print(line, file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
