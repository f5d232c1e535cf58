#!/usr/bin/env python3
"""Where the playground's wasm bytes go: code bytes by crate/module, and the data section.

    python3 scripts/wasm-size-breakdown.py [MODULE.wasm] [--depth N] [--top N] [--grep TEXT]
        [--instances PATH] [--methods TEXT] [--rows N]

MODULE defaults to target/wasm/wasm32-unknown-unknown/web/cellsim_web.wasm, rustc/wasm-ld's
output before wasm-bindgen: it still has the name section (wasm-bindgen strips it for what is
served). Each function body in the code section is attributed to the path of its name (for
`<A as Trait>::method`, the path of A; generic arguments dropped), cut to --depth segments
(default 2: `cellsim_core::yaml`). Inlined code counts where it was inlined to, so a serde
visitor inlined into the YAML deserializer counts as `cellsim_core::yaml`. --top lists the
largest single functions; --grep sums the functions whose full name contains TEXT;
--instances PATH groups the functions owned by PATH (e.g. `core::slice::sort`,
`alloc::collections::btree`) by their generic arguments (the element type, or key and value)
and the first cellsim function named in them (usually the caller's comparator closure): what
one generic instantiation costs and where it comes from. --methods TEXT groups the functions
whose name contains TEXT by their name with the generic arguments inside its outermost `<...>`
dropped (`<De>::map::<::deserialize::Visitor>` for every struct's): what one generic method
costs over all its instantiations.
Used for docs/benchmarks.md, "Bundle size".
"""

import argparse
import collections
import re
import shutil
import subprocess
import sys


def leb(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, pos


def sections(buf):
    assert buf[:4] == b"\0asm", "not a wasm module"
    pos = 8
    while pos < len(buf):
        sid = buf[pos]
        size, p = leb(buf, pos + 1)
        yield sid, p, p + size
        pos = p + size


def parse(buf):
    imports = 0
    bodies = []
    names = {}
    section_sizes = collections.Counter()
    data_segments = []
    for sid, start, end in sections(buf):
        if sid == 0:
            nlen, p = leb(buf, start)
            name = buf[p : p + nlen].decode()
            section_sizes["custom:" + name] += end - start
            if name == "name":
                p += nlen
                while p < end:
                    sub = buf[p]
                    size, q = leb(buf, p + 1)
                    if sub == 1:
                        count, r = leb(buf, q)
                        for _ in range(count):
                            idx, r = leb(buf, r)
                            ln, r = leb(buf, r)
                            names[idx] = buf[r : r + ln].decode(errors="replace")
                            r += ln
                    p = q + size
            continue
        section_sizes[
            {1: "type", 2: "import", 3: "function", 5: "memory", 6: "global", 7: "export",
             9: "elem", 10: "code", 11: "data", 12: "datacount"}.get(sid, str(sid))
        ] += end - start
        if sid == 2:
            count, p = leb(buf, start)
            for _ in range(count):
                for _ in range(2):
                    ln, p = leb(buf, p)
                    p += ln
                kind = buf[p]
                p += 1
                if kind == 0:
                    _, p = leb(buf, p)
                    imports += 1
                elif kind == 1:
                    p += 1
                    flags, p = leb(buf, p)
                    _, p = leb(buf, p)
                    if flags & 1:
                        _, p = leb(buf, p)
                elif kind == 2:
                    flags, p = leb(buf, p)
                    _, p = leb(buf, p)
                    if flags & 1:
                        _, p = leb(buf, p)
                elif kind == 3:
                    p += 2
        elif sid == 10:
            count, p = leb(buf, start)
            for _ in range(count):
                size, q = leb(buf, p)
                bodies.append(q + size - p)
                p = q + size
        elif sid == 11:
            count, p = leb(buf, start)
            for _ in range(count):
                flags, p = leb(buf, p)
                if flags in (0, 2):
                    if flags == 2:
                        _, p = leb(buf, p)
                    # constant expression up to `end` (0x0b)
                    while buf[p] != 0x0B:
                        p += 1
                    p += 1
                size, p = leb(buf, p)
                data_segments.append(buf[p : p + size])
                p += size
    plain = demangle([names.get(imports + i, f"<func {imports + i}>") for i in range(len(bodies))])
    funcs = list(zip(plain, bodies))
    return funcs, section_sizes, data_segments


def demangle(names):
    """Rust v0 symbols (`_R...`, rustc's default here) through LLVM's demangler, when installed."""
    tool = next((t for t in ("llvm-cxxfilt-22", "llvm-cxxfilt") if shutil.which(t)), None)
    if tool is None:
        print("note: no llvm-cxxfilt; names stay mangled", file=sys.stderr)
        return names
    out = subprocess.run([tool], input="\n".join(names), capture_output=True, text=True, check=True)
    return out.stdout.split("\n")[: len(names)]


def owner(name):
    """The path a function belongs to: the self type of `<A as B>::m`, generics removed."""
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    if name.startswith("<"):
        depth = 0
        for i, c in enumerate(name):
            if c == "<":
                depth += 1
            elif c == ">":
                depth -= 1
            if depth == 1 and name.startswith(" as ", i):
                name = name[1:i]
                break
            if depth == 0:
                name = name[1:i]
                break
    # drop generic arguments and a leading `impl ... for`
    out, depth = [], 0
    for c in name:
        if c == "<":
            depth += 1
        elif c == ">":
            depth -= 1
        elif depth == 0:
            out.append(c)
    name = "".join(out)
    name = re.sub(r"^(&|\*const |\*mut |mut |dyn )+", "", name)
    return name.replace("[", "").replace("]", "")


def generic_args(name, start):
    """The top-level arguments of the first `<...>` list at or after `start` that follows a
    path segment (not the `<` that opens a qualified path)."""
    i = name.find("<", start)
    while i > 0 and not (name[i - 1].isalnum() or name[i - 1] in "_:"):
        i = name.find("<", i + 1)
    if i < 0:
        return []
    args, depth, cur = [], 0, []
    for c in name[i + 1 :]:
        if c in "<([":
            depth += 1
        elif c in ">)]":
            if depth == 0:
                break
            depth -= 1
        if c == "," and depth == 0:
            args.append("".join(cur).strip())
            cur = []
        else:
            cur.append(c)
    args.append("".join(cur).strip())
    return args


def instances(funcs, path, rows):
    """Functions owned by `path`, grouped by their first two generic arguments and the first
    cellsim function their name mentions."""
    size, count = collections.Counter(), collections.Counter()
    for name, s in funcs:
        if not owner(name).startswith(path):
            continue
        at = name.find(path)
        args = generic_args(name, max(at, 0))
        # a btree Handle<NodeRef<BorrowType, K, V, Type>, Kind>: the key and value inside
        while args and args[0].startswith("alloc::collections::btree::node::") and "<" in args[0]:
            args = generic_args(args[0], 0)
        args = [
            a.replace("alloc::collections::btree::set_val::SetValZST", "()")
            for a in args
            if a not in ("alloc::alloc::Global", "_")
            and not a.startswith(("alloc::collections::btree::node::marker::", "'"))
        ]
        shown = ", ".join(a[:70] for a in args[:2])
        callers = re.findall(r"cellsim_\w+(?:::[A-Za-z_]\w*)+", name)
        caller = next((c for c in callers if c not in shown), "-")
        key = (shown or "-") + "  |  " + caller
        size[key] += s
        count[key] += 1
    total = sum(size.values())
    print(f"\n{path}: {sum(count.values())} functions, {total:,} B; by instance (arguments | first cellsim name):")
    for k, v in size.most_common(rows):
        print(f"  {v:>9,}  {count[k]:>4}  {k}")


def methods(funcs, text, rows):
    """Functions whose name contains `text`, grouped by the name with nested generic arguments
    (depth 2 and more) removed."""
    size, count = collections.Counter(), collections.Counter()
    for name, s in funcs:
        if text not in name:
            continue
        out, depth = [], 0
        for c in re.sub(r"::h[0-9a-f]{16}$", "", name):
            if c == "<":
                depth += 1
                if depth == 1:
                    out.append(c)
            elif c == ">":
                depth -= 1
            elif depth <= 1:
                out.append(c)
        key = "".join(out)
        size[key] += s
        count[key] += 1
    print(f"\nfunctions containing {text!r} by method: {sum(count.values())}, {sum(size.values()):,} B")
    for k, v in size.most_common(rows):
        print(f"  {v:>9,}  {count[k]:>4}  {k[:170]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("module", nargs="?", default="target/wasm/wasm32-unknown-unknown/web/cellsim_web.wasm")
    ap.add_argument("--depth", type=int, default=2)
    ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--grep", action="append", default=[])
    ap.add_argument("--rows", type=int, default=30)
    ap.add_argument("--instances", action="append", default=[])
    ap.add_argument("--methods", action="append", default=[])
    args = ap.parse_args()
    buf = open(args.module, "rb").read()
    funcs, section_sizes, data = parse(buf)
    if not any(not n.startswith("<func ") for n, _ in funcs):
        print("note: the module has no name section (use rustc's output, before wasm-bindgen)", file=sys.stderr)
    total = sum(s for _, s in funcs)
    print(f"{args.module}: {len(buf):,} B; sections:")
    for k, v in section_sizes.most_common():
        print(f"  {k:24} {v:>12,}")
    print(f"\ncode: {len(funcs):,} functions, {total:,} B of bodies; by owner (depth {args.depth}):")
    groups = collections.Counter()
    counts = collections.Counter()
    for name, size in funcs:
        key = "::".join(owner(name).split("::")[: args.depth])
        groups[key] += size
        counts[key] += 1
    for k, v in groups.most_common(args.rows):
        print(f"  {v:>10,}  {100 * v / total:5.1f} %  {counts[k]:>5}  {k}")
    for g in args.grep:
        sel = [(n, s) for n, s in funcs if g in n]
        print(f"\nfunctions containing {g!r}: {len(sel)}, {sum(s for _, s in sel):,} B")
    for path in args.instances:
        instances(funcs, path, args.rows)
    for text in args.methods:
        methods(funcs, text, args.rows)
    if args.top:
        print(f"\nlargest {args.top} functions:")
        for name, size in sorted(funcs, key=lambda f: -f[1])[: args.top]:
            print(f"  {size:>8,}  {name[:160]}")
    dsize = sum(len(d) for d in data)
    print(f"\ndata: {len(data)} segments, {dsize:,} B")


if __name__ == "__main__":
    main()
