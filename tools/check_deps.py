#!/usr/bin/env python3
"""Checks that every #include between src/ modules follows the graph in src/README.md.

The table under "## Module graph" in src/README.md names each module (a folder under src/,
the longest matching prefix wins) and the modules it may use directly; what those may use is
allowed too. An include of a module not reachable that way is reported with the file, the
line, the include and the rule it breaks, and the script exits 1.

  tools/check_deps.py            check (run by `make test` through CTest)
  tools/check_deps.py --graph    print the module graph as the code has it (make deps-graph)
  tools/check_deps.py --src DIR  check another tree (the script's own test uses a fixture)
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "src")
if "--src" in sys.argv[1:-1]:
    SRC = os.path.abspath(sys.argv[sys.argv.index("--src") + 1])
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
ROW = re.compile(r"^\|\s*`([a-z/]+)`\s*\|\s*([^|]*)\|")


def read_rules():
    """Module -> set of modules it may use directly, from src/README.md."""
    rules = {}
    in_table = False
    with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                in_table = line.strip() == "## Module graph"
                continue
            m = ROW.match(line) if in_table else None
            if m:
                rules[m.group(1)] = set(re.findall(r"`([a-z/]+)`", m.group(2)))
    if not rules:
        sys.exit("check_deps: no module table under '## Module graph' in src/README.md")
    for module, uses in rules.items():
        for dep in uses - set(rules):
            sys.exit(f"check_deps: src/README.md: {module} may use unknown module {dep}")
    return rules


def closure(rules):
    """Module -> every module it may reach (itself included)."""
    reach = {}

    def visit(module, stack):
        if module in reach:
            return reach[module]
        if module in stack:
            sys.exit("check_deps: src/README.md: the graph has a cycle: " +
                     " -> ".join(stack + [module]))
        out = {module}
        for dep in rules[module]:
            out |= visit(dep, stack + [module])
        reach[module] = out
        return out

    for module in rules:
        visit(module, [])
    return reach


def module_of(path, modules):
    """The module owning a path relative to src/ (longest folder prefix), or None."""
    best = None
    for m in modules:
        if (path == m or path.startswith(m + "/")) and (best is None or len(m) > len(best)):
            best = m
    return best


def includes():
    """Yields (file relative to src/, line number, included path) for project includes."""
    for dirpath, _, files in os.walk(SRC):
        for name in sorted(files):
            if not name.endswith((".h", ".cpp")):
                continue
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, SRC)
            with open(full, encoding="utf-8", errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if m and os.path.exists(os.path.join(SRC, m.group(1))):
                        yield rel, number, m.group(1)


def main():
    rules = read_rules()
    reach = closure(rules)
    modules = list(rules)
    edges = {}
    errors = []
    for rel, number, target in includes():
        src_mod = module_of(rel, modules)
        dst_mod = module_of(target, modules)
        if src_mod is None:
            errors.append(f"src/{rel}: folder not in the module table of src/README.md")
            continue
        if dst_mod is None or dst_mod == src_mod:
            continue
        edges.setdefault(src_mod, set()).add(dst_mod)
        if dst_mod not in reach[src_mod]:
            errors.append(
                f'src/{rel}:{number}: #include "{target}": {src_mod} may not use {dst_mod} '
                f"(src/README.md: {src_mod} may use "
                f"{', '.join(sorted(reach[src_mod] - {src_mod})) or 'nothing'})")
    if "--graph" in sys.argv[1:]:
        for module in modules:
            print(f"{module:16} -> {' '.join(sorted(edges.get(module, ()))) or '-'}")
        return 0
    for e in sorted(set(errors)):
        print(e)
    if errors:
        print(f"check_deps: {len(set(errors))} include(s) cross the module graph")
        return 1
    print(f"check_deps: {sum(len(v) for v in edges.values())} module edges, all in the graph")
    return 0


if __name__ == "__main__":
    sys.exit(main())
