#!/usr/bin/env python3
"""Static upper bound of the stack a function of a Cortex-M ELF can use.

Usage: stack_static.py OBJDUMP ELF FUNCTION...

Reads `OBJDUMP -d -C ELF` and, for every function, adds up every instruction
that lowers the stack pointer (push/stmdb/vpush/vstmdb sp!, sub sp, #imm,
str ... [sp, #-n]!): its frame, counted as if all of them happened on one
path. A call (bl) or a branch to another function's first instruction (a
tail call) costs the caller's whole frame plus the callee's bound, taken as
the maximum over all callees. So the result is an upper bound of what the
function and its callees can lower the stack, whatever the inputs, as long as
the program has no indirect call, no recursion and no stack pointer moved by
a register amount: the script checks each and says so if it finds one.

Prints one line per FUNCTION (a demangled name, or a unique part of one):
`static <function> <bytes> <deepest call path>`.
"""

import re
import subprocess
import sys

LABEL = re.compile(r"^([0-9a-f]+) <(.*)>:$")
INSN = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)\s*(.*)$")
TARGET = re.compile(r"^([0-9a-f]+) <(.*)>$")


def reglist_size(ops, mnemonic):
    regs = re.search(r"\{([^}]*)\}", ops)
    if not regs:
        return 0
    n = 0
    for part in regs.group(1).split(","):
        part = part.strip()
        m = re.match(r"([a-z]+)(\d+)-[a-z]+(\d+)$", part)
        count = int(m.group(3)) - int(m.group(2)) + 1 if m else 1
        kind = m.group(1) if m else re.sub(r"\d+", "", part)
        n += count * (8 if kind == "d" else 4)
    return n


def frame_delta(mnemonic, ops):
    """Bytes this instruction lowers sp by (0 if none); None if unknown."""
    base = mnemonic.split(".")[0]
    if base in ("push", "vpush"):
        return reglist_size(ops, base)
    if base in ("stmdb", "stmfd", "vstmdb") and re.match(r"sp!", ops):
        return reglist_size(ops, base)
    if base in ("sub", "subw", "subs") and re.match(r"sp,\s*(sp,\s*)?#", ops):
        return int(re.search(r"#(\d+)", ops).group(1))
    if base in ("sub", "subs") and re.match(r"sp,\s*(sp,\s*)?r", ops):
        return None  # sp lowered by a register amount (alloca)
    if base.startswith("str") and "[sp, #-" in ops and ops.rstrip().endswith("!"):
        return int(re.search(r"\[sp, #-(\d+)\]!", ops).group(1))
    if base == "mov" and re.match(r"sp,\s*r", ops):
        return 0  # restoring sp from a frame pointer (epilogue)
    return 0


def parse(dump):
    funcs = {}  # addr -> dict(name, frame, calls, unknown)
    cur = None
    for line in dump.splitlines():
        m = LABEL.match(line)
        if m:
            addr = int(m.group(1), 16)
            cur = {"name": m.group(2), "frame": 0, "calls": set(), "problems": []}
            funcs[addr] = cur
            continue
        m = INSN.match(line)
        if not m or cur is None:
            continue
        mnemonic, ops = m.group(2), m.group(3)
        ops = ops.split("@")[0].strip()
        d = frame_delta(mnemonic, ops)
        if d is None:
            cur["problems"].append(f"sp lowered by a register: {mnemonic} {ops}")
        else:
            cur["frame"] += d
        base = mnemonic.split(".")[0]
        if base in ("blx",) and not TARGET.match(ops):
            cur["problems"].append(f"indirect call: {mnemonic} {ops}")
        if base in ("bx",) and ops != "lr":
            cur["problems"].append(f"indirect branch: {mnemonic} {ops}")
        if base in ("bl", "blx") or re.match(r"^b(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?$", base):
            t = TARGET.match(ops)
            if t:
                cur["calls"].add((int(t.group(1), 16), base in ("bl", "blx")))
    return funcs


def bound(funcs, addr, stack, memo):
    if addr in memo:
        return memo[addr]
    if addr in stack:
        raise RuntimeError("recursion: " + " -> ".join(funcs[a]["name"] for a in stack + [addr]))
    f = funcs[addr]
    best, path = 0, []
    for target, is_call in f["calls"]:
        if target == addr or target not in funcs:
            continue  # a branch inside the function (or to a non-function)
        b, p = bound(funcs, target, stack + [addr], memo)
        if b > best:
            best, path = b, p
    memo[addr] = (f["frame"] + best, [f["name"]] + path)
    return memo[addr]


def reachable_problems(funcs, addr, seen):
    if addr in seen or addr not in funcs:
        return []
    seen.add(addr)
    out = [(funcs[addr]["name"], p) for p in funcs[addr]["problems"]]
    for target, _ in funcs[addr]["calls"]:
        if target != addr:
            out += reachable_problems(funcs, target, seen)
    return out


def main():
    objdump, elf, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
    dump = subprocess.run(
        [objdump, "-d", "-C", "--no-show-raw-insn", elf],
        check=True, capture_output=True, text=True,
    ).stdout
    funcs = parse(dump)
    memo = {}
    status = 0
    for w in wanted:
        hits = [a for a, f in funcs.items() if f["name"] == w] or [
            a for a, f in funcs.items() if w in f["name"]
        ]
        if len(hits) != 1:
            print(f"static {w} ? ({len(hits)} functions match)")
            status = 1
            continue
        b, path = bound(funcs, hits[0], [], memo)
        problems = reachable_problems(funcs, hits[0], set())
        for name, p in problems:
            print(f"warning {w}: {name}: {p}", file=sys.stderr)
            status = 1
        print(f"static {w} {b} {' > '.join(path)}")
    sys.exit(status)


if __name__ == "__main__":
    main()
