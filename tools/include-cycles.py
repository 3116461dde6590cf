#!/usr/bin/env python3
"""tools/include-cycles.py - modules that include each other (make lint).

A module is src/NAME.c with include/carewatch/NAME.h.  Module A depends on
B when A's source or header includes carewatch/B.h.  Dependencies must go
one way (docs/architecture.md, "Layers"): a cycle means a helper sits in
the wrong module (record.c's field checks were included by cases.c while
record.c opened cases).  Prints each cycle and exits 1; exit 0 when none.
"""
import glob
import os
import re
import sys

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
deps = {}
for f in glob.glob('src/*.c') + glob.glob('include/carewatch/*.h'):
    mod = os.path.basename(f).rsplit('.', 1)[0]
    with open(f, encoding='utf-8') as fh:
        found = set(re.findall(r'^\s*#\s*include\s+"carewatch/([a-z_0-9]+)\.h"', fh.read(), re.M))
    deps.setdefault(mod, set()).update(found - {mod})

# Tarjan's strongly connected components, iteratively.
index, low, on, stack, cycles, counter = {}, {}, set(), [], [], [0]
for root in sorted(deps):
    if root in index:
        continue
    work = [(root, iter(sorted(deps[root])))]
    index[root] = low[root] = counter[0]; counter[0] += 1
    stack.append(root); on.add(root)
    while work:
        v, it = work[-1]
        advanced = False
        for w in it:
            if w not in deps:
                continue
            if w not in index:
                index[w] = low[w] = counter[0]; counter[0] += 1
                stack.append(w); on.add(w)
                work.append((w, iter(sorted(deps[w]))))
                advanced = True
                break
            if w in on:
                low[v] = min(low[v], index[w])
        if advanced:
            continue
        work.pop()
        if work:
            low[work[-1][0]] = min(low[work[-1][0]], low[v])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop(); on.discard(w); comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))
for c in cycles:
    edges = ['%s -> %s' % (a, b) for a in c for b in sorted(deps[a]) if b in c]
    print('include cycle among %s: %s' % (', '.join(c), '; '.join(edges)), file=sys.stderr)
sys.exit(1 if cycles else 0)
