#!/usr/bin/env python3
"""dashboard_check.py DASHBOARD.json [--prometheus URL --label K=V]

Checks the Grafana dashboard's structure (every panel has an id, a type, a
title, a grid position; every panel that is not a row has at least one
target with a PromQL expression and the dashboard's Prometheus datasource),
then, with --prometheus, runs every target's expression against that real
Prometheus, scoped to the series of one scrape target (--label, added to
every dive_* selector), and fails unless each returns at least one series.
Prints one line per query; exit 1 on the first structural problem or on any
query without series.
"""
import json
import re
import sys
import urllib.parse
import urllib.request

SELECTOR = re.compile(r'\b(dive_[a-z0-9_]+)(\{[^}]*\})?(?!\s*\()')


def scope(expr, label):
    """Add label (k="v") to every dive_* selector of expr."""
    def one(m):
        name, matchers = m.group(1), m.group(2)
        if matchers:
            inner = matchers[1:-1].strip()
            return '%s{%s%s}' % (name, inner + ', ' if inner else '', label)
        return '%s{%s}' % (name, label)
    return SELECTOR.sub(one, expr)


def structure(d):
    problems = []
    for key in ("title", "uid", "panels", "schemaVersion"):
        if key not in d:
            problems.append("no %s" % key)
    ids = set()
    exprs = []
    for p in d.get("panels", []):
        for key in ("id", "type", "title", "gridPos"):
            if key not in p:
                problems.append("panel %r has no %s" % (p.get("title"), key))
        if p.get("id") in ids:
            problems.append("panel id %r twice" % p.get("id"))
        ids.add(p.get("id"))
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in ("h", "w", "x", "y")) or g.get("x", 0) + g.get("w", 0) > 24:
            problems.append("panel %r: bad gridPos %r" % (p.get("title"), g))
        if p.get("type") == "row":
            continue
        targets = p.get("targets") or []
        if not targets:
            problems.append("panel %r has no target" % p.get("title"))
        if (p.get("datasource") or {}).get("type") != "prometheus":
            problems.append("panel %r: datasource is not prometheus" % p.get("title"))
        for t in targets:
            if not t.get("expr"):
                problems.append("panel %r: a target without expr" % p.get("title"))
            else:
                exprs.append((p["title"], t["expr"]))
    return problems, exprs


def query(base, expr):
    url = base.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(url, timeout=10) as r:
        doc = json.load(r)
    if doc.get("status") != "success":
        raise RuntimeError(doc.get("error", "query failed"))
    return doc["data"]["result"]


def main(argv):
    path = argv[1]
    base = label = None
    if "--prometheus" in argv:
        base = argv[argv.index("--prometheus") + 1]
        k, v = argv[argv.index("--label") + 1].split("=", 1)
        label = '%s="%s"' % (k, v)
    d = json.load(open(path))
    problems, exprs = structure(d)
    for p in problems:
        print("structure: " + p)
    if problems:
        return 1
    print("structure: ok, %d panels, %d queries" % (len(d["panels"]), len(exprs)))
    if not base:
        return 0
    empty = 0
    for title, expr in exprs:
        q = scope(expr, label)
        try:
            res = query(base, q)
        except Exception as e:  # a query Prometheus refuses is a defect of the dashboard
            print("ERROR %s: %s: %s" % (title, q, e))
            empty += 1
            continue
        print("%-4s %d series  %s: %s" % ("ok" if res else "NONE", len(res), title, q))
        empty += not res
    return 1 if empty else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
