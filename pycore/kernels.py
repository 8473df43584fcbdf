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


def _einsum_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("ij,jk->ik", a, b)


def _blas_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a @ b


matmul = _einsum_matmul if IN_BROWSER else _blas_matmul
"""``matmul(a, b)``: (m, k) @ (k, n) -> (m, n), with the fastest kernel of this platform."""

KERNEL_NAME = "einsum" if IN_BROWSER else "matmul (BLAS)"
