#!/usr/bin/env python3
"""Fails on an import cycle between the files of src/ (one module per file).

Usage: .ci/import_cycles.py [SRC_DIR]   (default: src)

Every `crate::a::b` path outside `#[cfg(test)] mod tests` blocks (in `use`
items, in `use crate::{..}` groups and in code), every `super::x` path and
every root re-export it goes through (`crate::Name` where lib.rs has
`pub use path::Name`) is an edge from the file that names it to the file
that defines the module. A strongly connected component of more than one
file is a cycle. Prints each cycle and a summary line; exit status 1 if any.
"""
import os
import re
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "src"

files = {}
for root, _, names in os.walk(src):
    for name in names:
        if name.endswith(".rs"):
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel[-1] == "mod":
                rel = rel[:-1]
            if rel == ["lib"]:
                rel = []
            files[tuple(rel)] = path


def code_of(path):
    text = open(path, encoding="utf-8").read()
    m = re.search(r"#\[cfg\(test\)\]\s*mod tests\s*\{", text)
    if m:
        text = text[: m.start()]
    return re.sub(r"//[^\n]*", "", text)


def module_of(segs):
    parts = tuple(segs)
    while parts and parts not in files:
        parts = parts[:-1]
    return parts


# Root re-exports: `pub use a::b::{C, D}` / `pub use a::b::C` in lib.rs.
reexports = {}
lib = code_of(files[()])
for m in re.finditer(r"pub use ([a-z_][a-z0-9_:]*)::\{([^}]*)\}", lib, re.S):
    base = m.group(1).split("::")
    for item in m.group(2).split(","):
        item = item.strip()
        if not item:
            continue
        segs = base + [s for s in item.split("::") if s and s != "self"]
        reexports[segs[-1].split(" as ")[-1].strip()] = module_of(segs)
for m in re.finditer(r"pub use ([a-z_][a-z0-9_:]*)::(\w+)\s*;", lib):
    segs = m.group(1).split("::") + [m.group(2)]
    reexports[m.group(2)] = module_of(segs)


def target(segs):
    t = module_of(segs)
    if t == () and segs and segs[0] in reexports:
        t = reexports[segs[0]]
    return t


edges = {k: set() for k in files}
for mod, path in files.items():
    if mod == ():
        continue
    text = code_of(path)
    found = []
    for m in re.finditer(r"crate::\{([^}]*)\}", text):
        for item in m.group(1).split(","):
            found.append(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", item.split(" as ")[0]))
    for m in re.finditer(r"crate((?:::[A-Za-z_][A-Za-z0-9_]*)+)", text):
        found.append(m.group(1).split("::")[1:])
    base = list(mod[:-1])
    for m in re.finditer(r"super((?:::[A-Za-z_][A-Za-z0-9_]*)+)", text):
        found.append(base + m.group(1).split("::")[1:])
    for segs in found:
        t = target(segs)
        if t != mod and t in files and t != ():
            edges[mod].add(t)

# Tarjan's strongly connected components.
index, low, on, stack, comps, counter = {}, {}, set(), [], [], [0]
sys.setrecursionlimit(10000)


def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            comps.append(comp)


for v in sorted(files):
    if v not in index:
        visit(v)

for comp in comps:
    print("cycle: " + ", ".join(sorted("/".join(c) for c in comp)))
print(f"import cycles in {src}: {len(comps)} (files in cycles: {sum(map(len, comps))})")
sys.exit(1 if comps else 0)
