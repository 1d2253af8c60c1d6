#!/usr/bin/env python3
"""A small Schulze reference, the Go benchmark's peer (standard library only).

Reads a PrefLib order file (.soc/.soi/.toc/.toi: "count: 1,{2,3},4" lines,
alternatives numbered from 1; unranked alternatives tied last), counts it
by Schulze with winning votes, and prints JSON: the ranking in layers
(0-based option groups), the matrix d and the seconds spent counting
(parsing excluded, as the Go benchmark counts ballots already in memory).
"""
import json
import sys
import time


def parse(path):
    n = 0
    ballots = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("#"):
                key, _, value = line[1:].partition(":")
                if key.strip() == "NUMBER ALTERNATIVES":
                    n = int(value)
                continue
            if not line:
                continue
            count, _, prefs = line.partition(":")
            groups = []
            i, prefs = 0, prefs.strip()
            while i < len(prefs):
                c = prefs[i]
                if c == "{":
                    j = prefs.index("}", i)
                    groups.append([int(x) - 1 for x in prefs[i + 1:j].split(",") if x.strip()])
                    i = j + 1
                elif c in ", ":
                    i += 1
                else:
                    j = i
                    while j < len(prefs) and prefs[j] not in ", ":
                        j += 1
                    groups.append([int(prefs[i:j]) - 1])
                    i = j
            ballots.append((int(count), groups))
    return n, ballots


def schulze(n, ballots):
    d = [[0] * n for _ in range(n)]
    everyone = set(range(n))
    for w, groups in ballots:
        below = set(everyone)
        for group in groups:
            below.difference_update(group)
            for a in group:
                row = d[a]
                for b in below:
                    row[b] += w
    p = [[d[a][b] if a != b and d[a][b] > d[b][a] else 0 for b in range(n)] for a in range(n)]
    for k in range(n):
        pk = p[k]
        for a in range(n):
            if a == k or p[a][k] == 0:
                continue
            pa, ak = p[a], p[a][k]
            for b in range(n):
                if b != a and b != k:
                    s = min(ak, pk[b])
                    if s > pa[b]:
                        pa[b] = s
    left = set(range(n))
    ranking = []
    while left:
        layer = sorted(x for x in left if not any(p[y][x] > p[x][y] for y in left))
        if not layer:
            layer = sorted(left)
        ranking.append(layer)
        left.difference_update(layer)
    return d, ranking


def main():
    n, ballots = parse(sys.argv[1])
    start = time.perf_counter()
    d, ranking = schulze(n, ballots)
    seconds = time.perf_counter() - start
    json.dump({"ranking": ranking, "d": d, "count_seconds": seconds}, sys.stdout)


if __name__ == "__main__":
    main()
