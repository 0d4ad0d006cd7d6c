"""Baseline for bench/stats.ts: connected components of a layer pruned at several |w| thresholds,
one scipy.sparse.csgraph call per threshold (compiled code, recomputed from scratch each time).

Usage: python3 stats_baseline.py WEIGHTS.f32 N_IN N_OUT T1 [T2 ...]; prints JSON
{"seconds": total, "results": [{"threshold", "giant", "components"}]}.
"""
import json
import sys
import time

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def main():
    path, n_in, n_out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    thresholds = [float(t) for t in sys.argv[4:]]
    w = np.fromfile(path, dtype=np.float32).reshape(n_in, n_out)
    start = time.perf_counter()
    results = []
    n = n_in + n_out
    for t in thresholds:
        i, j = np.nonzero(np.abs(w) >= t)
        a = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j + n_in)), shape=(n, n)).tocsr()
        count, labels = connected_components(a, directed=False)
        giant = int(np.bincount(labels).max())
        results.append({"threshold": t, "giant": giant, "components": int(count)})
    json.dump({"seconds": time.perf_counter() - start, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
