"""Independent numpy/networkx computation of weightscope's layer statistics, for cross-checks.

Reads JSON {"nIn", "nOut", "weights": [row-major], "thresholds": [...]} on stdin and prints JSON
with degrees, weight summary, assortativity (networkx), NODF (numpy, from the definition) and
connected components at each |w| threshold (networkx). Used by test/stats/python.test.ts.
"""
import json
import sys

import networkx as nx
import numpy as np


def nodf(m):
    def paired(rows):
        fill = rows.sum(axis=1)
        overlap = rows @ rows.T
        total = 0.0
        n = rows.shape[0]
        for a in range(n):
            for b in range(a + 1, n):
                lo, hi = min(fill[a], fill[b]), max(fill[a], fill[b])
                if lo == hi or lo == 0:
                    continue
                total += 100.0 * overlap[a, b] / lo
        return total, n * (n - 1) / 2

    r, rp = paired(m.astype(np.int64))
    c, cp = paired(m.T.astype(np.int64))
    return (r + c) / (rp + cp)


def digraph(w, keep):
    g = nx.DiGraph()
    n_in, n_out = w.shape
    g.add_nodes_from(("in", i) for i in range(n_in))
    g.add_nodes_from(("out", j) for j in range(n_out))
    for i, j in zip(*np.nonzero(keep)):
        g.add_edge(("in", int(i)), ("out", int(j)))
    return g


def main():
    data = json.load(sys.stdin)
    w = np.array(data["weights"], dtype=np.float32).reshape(data["nIn"], data["nOut"])
    nz = w[w != 0].astype(np.float64)
    d = nz - nz.mean()
    out = {
        "kPlusIn": (w > 0).sum(axis=1).tolist(),
        "kMinusOut": (w < 0).sum(axis=0).tolist(),
        "sPlusOut": np.where(w > 0, w, 0).astype(np.float64).sum(axis=0).tolist(),
        "sdAll": float(np.std(w.astype(np.float64))),
        "sdNonZero": float(np.std(nz)),
        "skewNonZero": float((d**3).mean() / (d**2).mean() ** 1.5),
        "q25NonZero": float(np.quantile(nz, 0.25)),
        "assortativity": {},
        "nodf": {"positive": nodf(w > 0), "negative": nodf(w < 0)},
        "components": [],
    }
    for name, keep in (("positive", w > 0), ("negative", w < 0), ("all", w != 0)):
        g = digraph(w, keep)
        out["assortativity"][name] = nx.degree_pearson_correlation_coefficient(g, x="out", y="in")
    for t in data["thresholds"]:
        g = digraph(w, np.abs(w) >= t).to_undirected()
        comps = [len(c) for c in nx.connected_components(g)]
        out["components"].append({"threshold": t, "giant": max(comps), "components": len(comps)})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
