"""The one matrix product that training spends its time in.

Native NumPy hands ``a @ b`` to an optimised BLAS. The NumPy inside Pyodide has no BLAS: there,
``np.einsum('ij,jk->ik', a, b)`` (without ``optimize``) runs about 1.5x faster than ``a @ b``
(measured in the page: 2.91 against 1.93 GFLOP/s, see README), so the kernel is chosen once,
by platform, here and nowhere else. Both give the same maths; only the summation order (and so
the last bits) differ.
"""

from __future__ import annotations

import sys

import numpy as np

IN_BROWSER = sys.platform == "emscripten"

EINSUM_LIMIT = 2**31
"""einsum's iterator counts the m*k*n products of (m, k) @ (k, n) in a signed 32-bit integer in
the browser (WebAssembly is 32-bit), and raises "iterator is too large" once it reaches 2**31:
a conv layer's column matrix for a whole held-out set gets there. Larger products are split."""


def _einsum_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    m, k = a.shape
    n = b.shape[1]
    rows = max(1, (EINSUM_LIMIT - 1) // max(k * n, 1))
    if m <= rows:
        return np.einsum("ij,jk->ik", a, b)
    # Split along the rows of a, so that each piece's iterator stays below the limit.
    out = np.empty((m, n), dtype=np.result_type(a, b))
    for start in range(0, m, rows):
        out[start : start + rows] = np.einsum("ij,jk->ik", a[start : start + rows], b)
    return out


def _blas_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b


matmul = _einsum_matmul if IN_BROWSER else _blas_matmul
"""``matmul(a, b)``: (m, k) @ (k, n) -> (m, n), with the fastest kernel of this platform."""

KERNEL_NAME = "einsum" if IN_BROWSER else "matmul (BLAS)"
