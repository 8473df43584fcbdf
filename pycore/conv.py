"""The layers of a convolutional network: ``Conv2D``, ``MaxPool2D`` and ``Flatten``.

A convolution slides one small ``k x k`` kernel per output channel over the image and, at each
position, takes the same weighted sum a ``Dense`` neuron would take of that patch. So the
forward pass is written as exactly that: cut every patch out into a row (*im2col*, built with
``sliding_window_view``, no loop over pixels) and make one matrix product with the kernels, the
way ``Dense`` multiplies a batch by ``W^T``. Backward mirrors ``Dense`` too: ``dW`` and ``db``
come from the same rows, and ``dx`` sends each patch's gradient back to the pixels it came from,
one shifted slice per kernel offset (k*k vectorised adds).

Shapes are ``(N, C, H, W)``: batch, channels, height, width. Conventions follow ``Dense``:
``params``/``grads`` dicts, ``forward`` replaces the cache, ``backward(da, dz=None,
need_dx=True)`` reads only the cache and assigns the gradients, ``apply`` computes without
caching. Stride is 1 for convolutions and equal to the window for pooling; dilation, groups and
average pooling are left out on purpose. As in every deep-learning library, "convolution" here
is cross-correlation: the kernel is not flipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import activations
from . import init as initialisers
from .kernels import matmul
from .layers import Dense, Dropout, ParameterFree
from .npzfile import shorten

PADDINGS = ("valid", "same")
MAX_SIZE = 65536
"""Largest channel count, kernel, window or unit count :func:`from_description` accepts."""
MAX_WEIGHTS = 1 << 24
"""Most weights one described layer may have (so a hostile file cannot exhaust memory)."""


def _pads(k: int, padding: str) -> tuple[int, int]:
    """Zeros added before and after each spatial axis; "same" keeps H and W (extra one after)."""
    if padding == "valid":
        return 0, 0
    before = (k - 1) // 2
    return before, k - 1 - before


class Conv2D:
    """``c_in`` channels to ``c_out`` feature maps through ``k x k`` kernels, then an activation.

    Shapes:
        W: (c_out, c_in, k, k), b: (c_out,), x: (N, c_in, H, W), z and a: (N, c_out, H', W')
        with H' = H - k + 1 for "valid" and H' = H for "same" (likewise W'). "same" pads x with
        (k - 1) // 2 zeros before each spatial axis and the rest after (one more for even k).

    Cache after ``forward``: ``x``, ``cols`` (every patch as a row, (N*H'*W', k*k*c_in); row
    n*H'*W' + i*W' + j is the patch under output (i, j) of sample n, columns ordered
    (u, v, d) like ``W[c].transpose(1, 2, 0).ravel()``: channel innermost, see ``_columns``),
    ``z`` (the feature maps before the activation), ``a`` (after it); ``backward`` adds ``da``
    and ``dz``.

    >>> layer = Conv2D(1, 8, 3, activation="relu", rng=np.random.default_rng(0))
    >>> layer
    Conv2D(1 -> 8, 3x3, valid, relu)
    >>> layer.output_shape((1, 28, 28))
    (8, 26, 26)
    >>> {name: p.shape for name, p in layer.params.items()}
    {'W': (8, 1, 3, 3), 'b': (8,)}
    """

    kind = "conv2d"
    rule = "z[c,i,j] = Σ_{d,u,v} x[d, i+u, j+v]·W[c,d,u,v] + b[c],   a[c,i,j] = f(z[c,i,j])"
    derivative = (
        "dW[c,d,u,v] = Σ_{n,i,j} dz[c,i,j]·x[d, i+u, j+v],   db[c] = Σ_{n,i,j} dz[c,i,j],   "
        "dx[d, i+u, j+v] += Σ_c dz[c,i,j]·W[c,d,u,v]"
    )

    def __init__(
        self,
        c_in: int,
        c_out: int,
        k: int,
        padding: str = "valid",
        activation: str = "identity",
        rng: np.random.Generator | None = None,
        init: str = "he",
        dtype: type = np.float32,
    ):
        if padding not in PADDINGS:
            raise ValueError(f"unknown padding {padding!r}; choose one of {', '.join(PADDINGS)}")
        if activation == "softmax":
            # Softmax normalises along the last axis, which for a feature map is one image row.
            raise ValueError("a convolution cannot use softmax; use it in the Dense output layer")
        self.padding = padding
        self.activation = activations.get(activation)
        # Each output value is a weighted sum of c_in*k*k inputs: that is the fan-in He and
        # Xavier scale by, so the Dense initialisers serve unchanged on the flattened kernels.
        flat = initialisers.initial_weights(init, rng, c_in * k * k, c_out)
        self.W = flat.reshape(c_out, c_in, k, k).astype(dtype)
        self.b = np.zeros(c_out, dtype=dtype)
        self.cache: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    @property
    def c_in(self) -> int:
        return self.W.shape[1]

    @property
    def c_out(self) -> int:
        return self.W.shape[0]

    @property
    def k(self) -> int:
        return self.W.shape[2]

    @property
    def params(self) -> dict[str, np.ndarray]:
        return {"W": self.W, "b": self.b}

    def __repr__(self) -> str:
        k = self.k
        return (
            f"Conv2D({self.c_in} -> {self.c_out}, {k}x{k}, {self.padding}, {self.activation.name})"
        )

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, int, int]:
        """``(c_out, H', W')`` for one sample of shape ``(c_in, H, W)``."""
        c, h, w = _chw(self, input_shape)
        if c != self.c_in:
            raise ValueError(f"{self} needs {self.c_in} input channels, not {c}")
        if self.padding == "same":
            return self.c_out, h, w
        if h < self.k or w < self.k:
            raise ValueError(f"{self} needs an input of at least {self.k}x{self.k}, not {h}x{w}")
        return self.c_out, h - self.k + 1, w - self.k + 1

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "c_in": self.c_in,
            "c_out": self.c_out,
            "k": self.k,
            "padding": self.padding,
            "activation": self.activation.name,
        }

    def copy(self, dtype: type | None = None) -> Conv2D:
        """An independent copy (parameters copied, in ``dtype`` if given; empty cache)."""
        clone = Conv2D.__new__(Conv2D)
        clone.padding = self.padding
        clone.activation = type(self.activation)()
        clone.W = self.W.astype(dtype or self.W.dtype, copy=True)
        clone.b = self.b.astype(dtype or self.b.dtype, copy=True)
        clone.cache, clone.grads = {}, {}
        return clone

    def _columns(self, x: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        """Every k x k patch of every channel as one row: (N*H'*W', k*k*c_in), and (H', W')."""
        lo, hi = _pads(self.k, self.padding)
        if hi:
            x = np.pad(x, ((0, 0), (0, 0), (lo, hi), (lo, hi)))
        # Channels last first (one small copy), so that the copy below moves runs of c_in
        # neighbouring values instead of gathering them one by one: ~10x faster for 32 channels.
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
        # windows[n, i, j, d, u, v] = x[n, d, i+u, j+v], a view: no pixel is copied yet.
        windows = sliding_window_view(x, (self.k, self.k), axis=(1, 2))
        n, h, w = windows.shape[:3]
        # The one copy: rows ordered (n, i, j), columns (u, v, d) like _kernels().
        cols = windows.transpose(0, 1, 2, 4, 5, 3).reshape(n * h * w, -1)
        return cols, (h, w)

    def _kernels(self) -> np.ndarray:
        """W as one row per output channel, (c_out, k*k*c_in), columns in the order of cols."""
        return self.W.transpose(0, 2, 3, 1).reshape(self.c_out, -1)

    def _z(self, cols: np.ndarray, n: int, hw: tuple[int, int]) -> np.ndarray:
        # Every patch times every kernel in one product, exactly Dense's z = x W^T + b.
        rows = matmul(cols, self._kernels().T) + self.b
        return np.ascontiguousarray(rows.reshape(n, *hw, self.c_out).transpose(0, 3, 1, 2))

    def apply(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The forward maths without touching the cache: returns ``(z, a)``."""
        cols, hw = self._columns(x)
        z = self._z(cols, x.shape[0], hw)
        return z, self.activation.forward(z)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Compute and cache the feature maps ``z`` and ``a`` for the batch ``x``; return ``a``."""
        cols, hw = self._columns(x)
        z = self._z(cols, x.shape[0], hw)
        a = self.activation.forward(z)
        self.cache = {"x": x, "cols": cols, "z": z, "a": a}
        return a

    def backward(
        self, da: np.ndarray | None, dz: np.ndarray | None = None, need_dx: bool = True
    ) -> np.ndarray | None:
        """From dL/da (or dL/dz) of the feature maps to dL/dx of the input image.

        Sets ``grads['W']`` (c_out, c_in, k, k) and ``grads['b']`` (c_out,) and returns ``dx``
        (N, c_in, H, W), or ``None`` when ``need_dx`` is false.
        """
        if not self.cache:
            raise RuntimeError("backward() needs a forward() first")
        x, cols, z, a = self.cache["x"], self.cache["cols"], self.cache["z"], self.cache["a"]
        if dz is None:
            dz = self.activation.backward(z, a, da)
        n, c_out, h, w = dz.shape
        # Rows in the order of cols: one row per (n, i, j), one column per output channel.
        dz_rows = dz.transpose(0, 2, 3, 1).reshape(-1, c_out)
        # As in Dense: dW = dz^T cols, db = sum of dz, and each patch's gradient dz W.
        k, c_in = self.k, self.c_in
        dW = matmul(dz_rows.T, cols).reshape(c_out, k, k, c_in).transpose(0, 3, 1, 2)
        dW = np.ascontiguousarray(dW)
        db = dz_rows.sum(axis=0)
        dx = None
        if need_dx:
            dpatches = matmul(dz_rows, self._kernels()).reshape(n, h, w, k, k, c_in)
            lo, hi = _pads(k, self.padding)
            H, W = x.shape[2] + lo + hi, x.shape[3] + lo + hi
            # Channels last, like the columns, so each add moves runs of c_in values.
            dx_padded = np.zeros((n, H, W, c_in), dtype=dpatches.dtype)
            # Pixel (i+u, j+v) was entry (u, v) of patch (i, j): one shifted add per offset.
            for u in range(k):
                for v in range(k):
                    dx_padded[:, u : u + h, v : v + w] += dpatches[:, :, :, u, v]
            dx = np.ascontiguousarray(dx_padded[:, lo : H - hi, lo : W - hi].transpose(0, 3, 1, 2))
        self.grads = {"W": dW, "b": db}
        self.cache.update(da=da, dz=dz)
        return dx


class MaxPool2D(ParameterFree):
    """Keep the largest value of each ``size x size`` window (stride ``size``), per channel.

    Shapes: x: (N, C, H, W), a: (N, C, H // size, W // size); an odd last row or column is
    dropped (26x26 -> 13x13, 27x27 -> 13x13).

    Cache after ``forward``: ``x``, ``a``, and ``argmax`` (N, C, H', W'), the position of each
    window's maximum within the window, ``u * size + v`` (the first one on a tie). Only that
    input receives the gradient; :meth:`winners` turns it into a mask the size of ``x``.

    >>> MaxPool2D(2).output_shape((8, 26, 26))
    (8, 13, 13)
    """

    kind = "maxpool2d"
    rule = "a[c,i,j] = max_{u,v < s} x[c, s·i+u, s·j+v]"
    derivative = "dx[c, s·i+u, s·j+v] = da[c,i,j] if (u,v) won window (i,j), else 0"

    def __init__(self, size: int = 2):
        if int(size) < 1:
            raise ValueError(f"the pooling window must be at least 1, not {size}")
        self.size = int(size)
        self.cache: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return f"MaxPool2D({self.size}x{self.size})"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, int, int]:
        c, h, w = _chw(self, input_shape)
        if h < self.size or w < self.size:
            raise ValueError(f"{self} needs an input of at least {self.size}x{self.size}")
        return c, h // self.size, w // self.size

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "size": self.size}

    def copy(self, dtype: type | None = None) -> MaxPool2D:
        return MaxPool2D(self.size)

    def _offsets(self, x: np.ndarray):
        """For each window offset ``(u, v)``, in row-major order: the strided view of ``x``
        holding entry ``(u, v)`` of every window, (N, C, H', W'). s*s views, no copies."""
        s = self.size
        h, w = x.shape[2] // s * s, x.shape[3] // s * s
        for u in range(s):
            for v in range(s):
                yield x[:, :, u:h:s, v:w:s]

    def _pool(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # s*s whole-map comparisons instead of an argmax over tiny windows, which NumPy does
        # slowly; ">" keeps the earlier position on a tie.
        offsets = self._offsets(x)
        a = next(offsets).copy()
        argmax = np.zeros(a.shape, dtype=np.int32)
        for k, candidate in enumerate(offsets, start=1):
            better = candidate > a
            np.maximum(a, candidate, out=a)
            # argmax = k where better, else unchanged; arithmetic beats a masked copy here.
            argmax += better * (k - argmax)
        return a, argmax

    def _unpool(self, values: np.ndarray, argmax: np.ndarray, shape: tuple) -> np.ndarray:
        """Put ``values`` (N, C, H', W') back at each window's winning input; zeros elsewhere."""
        out = np.zeros(shape, dtype=values.dtype)
        for k, target in enumerate(self._offsets(out)):
            target[...] = values * (argmax == k)
        return out

    def apply(self, x: np.ndarray) -> np.ndarray:
        """The pooled maps, without touching the cache."""
        offsets = self._offsets(x)
        a = next(offsets).copy()
        for candidate in offsets:
            np.maximum(a, candidate, out=a)
        return a

    def forward(self, x: np.ndarray) -> np.ndarray:
        a, argmax = self._pool(x)
        self.cache = {"x": x, "a": a, "argmax": argmax}
        return a

    def winners(self) -> np.ndarray:
        """A boolean mask of the last forward's input shape: True where a window's max was."""
        if not self.cache:
            raise RuntimeError("winners() needs a forward() first")
        argmax = self.cache["argmax"]
        return self._unpool(np.ones(argmax.shape, bool), argmax, self.cache["x"].shape)

    def backward(
        self, da: np.ndarray | None, dz: np.ndarray | None = None, need_dx: bool = True
    ) -> np.ndarray | None:
        """Route each window's dL/da to the input that won it; ``dz`` is unused (no activation)."""
        da = self._incoming(da, dz)
        if not need_dx:
            return None
        return self._unpool(da, self.cache["argmax"], self.cache["x"].shape)


class Flatten(ParameterFree):
    """Each sample's feature maps as one vector, channel by channel, row by row.

    Shapes: x: (N, C, H, W), a: (N, C*H*W), with ``a[n, c*H*W + i*W + j] = x[n, c, i, j]``, so
    row ``r`` of the next Dense layer's ``W`` reshaped to (C, H, W) is a picture per channel.
    Cache after ``forward``: ``x``, ``a``.

    >>> Flatten().output_shape((8, 13, 13))
    (1352,)
    """

    kind = "flatten"
    rule = "a[c·H·W + i·W + j] = x[c,i,j]"
    derivative = "dx[c,i,j] = da[c·H·W + i·W + j]"

    def __init__(self):
        self.cache: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return "Flatten()"

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int]:
        return (int(np.prod(input_shape)),)

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind}

    def copy(self, dtype: type | None = None) -> Flatten:
        return Flatten()

    def apply(self, x: np.ndarray) -> np.ndarray:
        return x.reshape(x.shape[0], -1)

    def forward(self, x: np.ndarray) -> np.ndarray:
        a = self.apply(x)
        self.cache = {"x": x, "a": a}
        return a

    def backward(
        self, da: np.ndarray | None, dz: np.ndarray | None = None, need_dx: bool = True
    ) -> np.ndarray | None:
        da = self._incoming(da, dz)
        return da.reshape(self.cache["x"].shape) if need_dx else None


def _chw(layer, input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    if len(input_shape) != 3:
        raise ValueError(f"{layer} needs (channels, height, width) inputs, not {input_shape}")
    c, h, w = (int(n) for n in input_shape)
    return c, h, w


# --- model-file descriptions -----------------------------------------------------------------
# Each kind with the fields its description holds (besides "kind") and how to build it.
LAYER_KINDS: dict[str, tuple[type, tuple[str, ...]]] = {
    "dense": (Dense, ("n_in", "n_out", "activation")),
    Conv2D.kind: (Conv2D, ("c_in", "c_out", "k", "padding", "activation")),
    MaxPool2D.kind: (MaxPool2D, ("size",)),
    Flatten.kind: (Flatten, ()),
    Dropout.kind: (Dropout, ("rate",)),
}


def describe(layer) -> dict[str, Any]:
    """A JSON-able description of any layer's kind and sizes (not its parameters)."""
    return layer.describe()


def output_shape(layer, input_shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of one sample after ``layer``, given one sample's ``input_shape``."""
    return layer.output_shape(tuple(input_shape))


def check_description(d: Any) -> tuple[str, dict[str, Any]]:
    """``(kind, fields)`` of a layer description, every field checked; nothing is built.

    Raises ``ValueError`` naming the field for anything that is not a valid description (an
    unknown kind, a missing or extra field, a size that is not a positive integer, an unknown
    padding or activation, more than :data:`MAX_WEIGHTS` weights).
    """
    if not isinstance(d, dict):
        raise ValueError(f"a layer description must be an object, not {type(d).__name__}")
    kind = d.get("kind")
    if not isinstance(kind, str) or kind not in LAYER_KINDS:
        raise ValueError(
            f"unknown layer kind {shorten(kind)}; choose one of {', '.join(LAYER_KINDS)}"
        )
    _, fields = LAYER_KINDS[kind]
    given = set(d) - {"kind"}
    if given != set(fields):
        missing, extra = sorted(set(fields) - given), sorted(map(str, given - set(fields)))
        raise ValueError(
            f"a {kind} layer needs fields {list(fields)}; missing {missing}, extra {shorten(extra)}"
        )
    args = {}
    for name in fields:
        value = d[name]
        if name in ("padding", "activation"):
            allowed = PADDINGS if name == "padding" else activations.ACTIVATIONS
            if not isinstance(value, str) or value not in allowed:
                raise ValueError(
                    f"{kind}.{name} must be one of {', '.join(allowed)}, not {shorten(value)}"
                )
        elif name == "rate":
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not 0 <= value < 1:
                raise ValueError(
                    f"{kind}.rate must be a number from 0 to below 1, not {shorten(value)}"
                )
        elif isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIZE:
            raise ValueError(
                f"{kind}.{name} must be an integer from 1 to {MAX_SIZE}, not {shorten(value)}"
            )
        args[name] = value
    if parameter_count(kind, args) > MAX_WEIGHTS:
        raise ValueError(f"a {kind} layer of {args} has more than {MAX_WEIGHTS} weights")
    return kind, args


def parameter_count(kind: str, args: dict[str, Any]) -> int:
    """How many weights and biases a layer of ``kind`` with the checked ``args`` holds."""
    if kind == "dense":
        return args["n_out"] * (args["n_in"] + 1)
    if kind == Conv2D.kind:
        return args["c_out"] * (args["c_in"] * args["k"] * args["k"] + 1)
    return 0


def from_description(
    d: dict[str, Any],
    dtype: type = np.float32,
    rng: np.random.Generator | None = None,
    init: str = "he",
):
    """A fresh layer built from :func:`describe`'s dict, checked first by
    :func:`check_description` (which raises ``ValueError`` naming the bad field).

    Weights are initialised by ``init`` (``pycore.init.FROM_FILE``: zeros, for a model file
    that then loads its own).
    """
    kind, args = check_description(d)
    cls = LAYER_KINDS[kind][0]
    if cls in (Conv2D, Dense):
        return cls(**args, rng=rng, init=init, dtype=dtype)
    return cls(**args)
