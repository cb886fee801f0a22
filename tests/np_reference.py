"""Numpy (float64, loop) re-statements shared by the loss and connector tests."""
import numpy as np


def np_adaptive_pool(x, out):
    """Adaptive average pooling of a (C, H, W) array to (out, out), by loops.

    Bin ``i`` of an axis of length ``H`` covers ``[floor(i*H/out), ceil((i+1)*H/out))``, as
    ``torch.nn.functional.adaptive_avg_pool2d`` does.
    """
    C, H, W = x.shape
    y = np.zeros((C, out, out))
    for i in range(out):
        h0, h1 = (i * H) // out, -(-((i + 1) * H) // out)
        for j in range(out):
            w0, w1 = (j * W) // out, -(-((j + 1) * W) // out)
            y[:, i, j] = x[:, h0:h1, w0:w1].mean(axis=(1, 2))
    return y
