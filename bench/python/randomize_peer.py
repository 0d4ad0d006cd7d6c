#!/usr/bin/env python3
"""Peer timings (wall and process CPU seconds) for bench/randomize.ts: igraph's C rewire and networkx's double_edge_swap on the
same bipartite edge list. Prints one JSON object; a library that is missing is reported as
"not available".

usage: randomize_peer.py EDGES_FILE N_IN N_OUT IGRAPH_TRIALS NX_SWAPS
EDGES_FILE: one "i j" line per edge (input unit i, output unit j). NX_SWAPS 0 skips networkx.
"""
import json
import sys
import time


def main():
    path, n_in, n_out, ig_trials, nx_swaps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    edges = []
    with open(path) as f:
        for line in f:
            i, j = line.split()
            edges.append((int(i), n_in + int(j)))
    out = {"edges": len(edges)}

    try:
        import igraph
        # Directed input -> output: igraph's directed rewire keeps out- and in-degrees, so the
        # graph stays bipartite (the undirected rewire would not).
        g = igraph.Graph(n=n_in + n_out, edges=edges, directed=True)
        t, c = time.perf_counter(), time.process_time()
        g.rewire(n=ig_trials, mode="simple")
        dt, dc = time.perf_counter() - t, time.process_time() - c
        out["igraph"] = {"version": igraph.__version__, "trials": ig_trials, "seconds": dt, "cpu_seconds": dc}
    except ImportError:
        out["igraph"] = "not available"

    if nx_swaps == 0:
        print(json.dumps(out))
        return

    try:
        import networkx as nx
        # networkx has no bipartite-preserving double-edge swap; double_edge_swap on the undirected
        # graph is its standard degree-preserving rewiring (nswap counts accepted swaps).
        h = nx.Graph()
        h.add_edges_from(edges)
        t, c = time.perf_counter(), time.process_time()
        nx.double_edge_swap(h, nswap=nx_swaps, max_tries=nx_swaps * 100, seed=1)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        out["networkx"] = {"version": nx.__version__, "swaps": nx_swaps, "seconds": dt, "cpu_seconds": dc}
    except ImportError:
        out["networkx"] = "not available"

    print(json.dumps(out))


if __name__ == "__main__":
    main()
