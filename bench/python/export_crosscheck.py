"""Read weightscope's export files with the real clients, for cross-checks.

Reads JSON {"gexf", "graphml", "npy", "nodesCsv", "edgesCsv", "statsJson": paths} on stdin and
prints, per client, what it read: node and edge counts, every edge as [source, target, weight]
(node ids as the file names them), graph-level attributes and a few node attributes. The readers
are networkx read_gexf / read_graphml, igraph Graph.Read_GraphML, numpy.load and Python's csv and
json modules. Used by test/graph/python.test.ts, which compares the result with the layer.
"""
import csv
import json
import sys

import igraph
import networkx as nx
import numpy as np


def from_networkx(g):
    return {
        "nodes": g.number_of_nodes(),
        "edges": g.number_of_edges(),
        "directed": g.is_directed(),
        "edgeList": [[s, t, float(d["weight"])] for s, t, d in g.edges(data=True)],
        "edgeIds": sorted(str(d["id"]) for _, _, d in g.edges(data=True) if "id" in d),
        "graph": {k: v for k, v in g.graph.items() if isinstance(v, (str, int, float))},
        "nodeAttrs": {n: {k: v for k, v in g.nodes[n].items()} for n in ("in:0", "out:0")},
    }


def from_igraph(g):
    ids = g.vs["id"]
    return {
        "nodes": g.vcount(),
        "edges": g.ecount(),
        "directed": g.is_directed(),
        "edgeList": [[ids[e.source], ids[e.target], float(e["weight"])] for e in g.es],
        "graph": {k: g[k] for k in g.attributes()},
        # igraph fills an attribute a vertex lacks (bias on inputs) with NaN: leave those out.
        "nodeAttrs": {v["id"]: {k: v[k] for k in g.vs.attributes() if v[k] == v[k]} for v in g.vs if v["id"] in ("in:0", "out:0")},
    }


def main():
    paths = json.load(sys.stdin)
    out = {
        "networkx_gexf": from_networkx(nx.read_gexf(paths["gexf"])),
        "networkx_graphml": from_networkx(nx.read_graphml(paths["graphml"])),
        "igraph_graphml": from_igraph(igraph.Graph.Read_GraphML(paths["graphml"])),
    }
    a = np.load(paths["npy"], allow_pickle=False)
    out["numpy_npy"] = {"shape": list(a.shape), "dtype": str(a.dtype), "data": a.ravel().tolist()}
    with open(paths["edgesCsv"], newline="") as f:
        rows = list(csv.DictReader(f))
    out["csv_edges"] = {"edges": len(rows), "edgeList": [[r["source"], r["target"], float(r["weight"])] for r in rows]}
    with open(paths["nodesCsv"], newline="") as f:
        out["csv_nodes"] = {"nodes": len(list(csv.DictReader(f)))}
    with open(paths["statsJson"]) as f:
        stats = json.load(f)
    out["stats_json"] = {"name": stats["name"], "nEdges": stats["weights"]["nEdges"]}
    json.dump(out, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
