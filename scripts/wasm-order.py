#!/usr/bin/env python3
"""Put a WebAssembly module's functions in the order of their names, for gzip.

    python3 scripts/wasm-order.py IN.wat OUT.wat

IN.wat is binaryen's text (`wasm-dis`) of a module that still has its name section (Rust
symbol names, e.g. `<alloc::collections::btree::map::BTreeMap<K, V>>::insert`). OUT.wat has
the same module items, functions sorted by name; `wasm-as` turns it back into a module without
names. Nothing else changes: the text names every call target, table entry and export, so the
functions' indices are renumbered by `wasm-as`, and the code is byte-for-byte the same.

Why: wasm-bindgen writes functions largest first, which scatters the copies of one generic
function (each BTreeMap key/value pair's `insert`, each type's `clone`) across the module,
further apart than gzip's 32 KB window. In name order they sit together, and gzip encodes each
copy as references to the one before it: the served module is about 7 % smaller gzipped
(docs/benchmarks.md, "Bundle size", session 9).
"""
import sys


def split_items(text):
    """The module's header line, its top-level items (each a list of lines), its last line."""
    lines = text.split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    if not lines or not lines[0].startswith("(module") or lines[-1] != ")":
        raise SystemExit("wasm-order: error: not a binaryen module text (module ... )")
    items = []
    for line in lines[1:-1]:
        if line.startswith(" (") or line.startswith(" ;;"):
            items.append([line])
        elif line.startswith("  ") or line == " )":
            if not items:
                raise SystemExit(f"wasm-order: error: text before the first item: {line[:80]}")
            items[-1].append(line)
        else:
            raise SystemExit(f"wasm-order: error: unexpected line: {line[:80]}")
    return lines[0], items, lines[-1]


def func_name(item):
    head = item[0]
    if not head.startswith(" (func $"):
        return None
    return head[len(" (func $"):].split(" ", 1)[0]


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: wasm-order.py IN.wat OUT.wat")
    with open(sys.argv[1], encoding="utf-8") as f:
        header, items, last = split_items(f.read())
    funcs = [i for i, item in enumerate(items) if func_name(item) is not None]
    if not funcs:
        raise SystemExit("wasm-order: error: no functions")
    first, end = funcs[0], funcs[-1] + 1
    if len(funcs) != end - first:
        raise SystemExit("wasm-order: error: the functions are not one run of items")
    # Stable on equal names (binaryen makes them unique anyway), so the output is a pure
    # function of the input.
    ordered = sorted(items[first:end], key=func_name)
    out = [header] + [l for item in items[:first] + ordered + items[end:] for l in item] + [last]
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")
    print(f"wasm-order: {len(ordered)} functions in name order")


if __name__ == "__main__":
    main()
