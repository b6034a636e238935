#!/usr/bin/env python3
"""Import circles between the modules of each crate, run by `just lint`.

An edge a -> b when a's file (tests left out) names b's items through a `crate::` or
`super::` path; edges between a module and its own ancestors (a child using its parent's
items, a parent re-exporting a child) are left out. Prints every strongly connected group
of two or more modules and fails when there is one. Run from the repository root."""
import os, re, sys

def modules(src):
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith('.rs'): continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel[0] == 'bin': continue
            if rel[-1] in ('lib', 'main'): rel = rel[:-1]
            elif rel[-1] == 'mod': rel = rel[:-1]
            mods[tuple(rel)] = path
    return mods

def strip_tests(text):
    i = text.find('#[cfg(test)]\nmod tests')
    return text if i < 0 else text[:i]

def edges(mods):
    out = {m: set() for m in mods}
    for m, path in mods.items():
        text = strip_tests(open(path).read())
        text = re.sub(r'//.*', '', text)
        for match in re.finditer(r'\b(crate|super)((?:::\w+)+)', text):
            head, rest = match.group(1), match.group(2).split('::')[1:]
            # `super` is the parent module, whether the module is a file or a mod.rs.
            base = [] if head == 'crate' else list(m[:-1])
            target = base + rest
            # longest existing module prefix
            for k in range(len(target), -1, -1):
                t = tuple(target[:k])
                if t in mods: break
            if t == m or m[:len(t)] == t or t[:len(m)] == m: continue
            out[m].add(t)
    return out

def sccs(graph):
    index, low, stack, on, res, n = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)
    def visit(v):
        index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
        for w in graph[v]:
            if w not in index: visit(w); low[v] = min(low[v], low[w])
            elif w in on: low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v: break
            if len(comp) > 1: res.append(comp)
    for v in graph:
        if v not in index: visit(v)
    return res

found = 0
for crate in sorted(os.listdir('crates')) + ['../frontend']:
    src = os.path.join('crates', crate, 'src')
    if not os.path.isdir(src): continue
    for comp in sccs(edges(modules(src))):
        found += 1
        print(f"{crate}: " + " <-> ".join("::".join(m) or "crate" for m in sorted(comp)))
print(f"{found} import circle(s)")
sys.exit(1 if found else 0)
