"""Shared by the model bench peers: MNIST IDX reading and the binary task (label 0 = class a)."""
import os
import struct

import numpy as np


def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    nd = data[3]
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def mnist_pair(data_dir, part, a, b):
    """Images of classes a and b in file order, scaled to [-1, 1] as the reference does."""
    images = read_idx(os.path.join(data_dir, part + "-images-idx3-ubyte")).reshape(-1, 784)
    labels = read_idx(os.path.join(data_dir, part + "-labels-idx1-ubyte"))
    keep = (labels == a) | (labels == b)
    x = images[keep].astype(np.float32) / 255.0 * 2.0 - 1.0
    y = (labels[keep] == b).astype(np.int64)
    return x, y
