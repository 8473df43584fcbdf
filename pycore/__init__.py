"""pycore: a neural network written from scratch in NumPy.

Small enough to read top to bottom: dense layers (:mod:`pycore.layers`), activations and losses
with their derivatives beside them, optimisers, a network whose one training step serves
training and lessons (``train_step``) and the step-through (``trace_step``), a table of settings
(:mod:`pycore.settings`), a trainer that works in slices, metrics, model files and the MNIST
subset. Names follow the maths: ``z``, ``a``, ``W``, ``b``, and ``dX`` for
dL/dX. It depends on NumPy alone and runs unchanged in CPython and in Pyodide.
"""

__version__ = "0.1.0"

from .layers import Dense  # noqa: E402
from .modelfile import ModelFileError  # noqa: E402
from .network import Network  # noqa: E402
from .npzfile import FormatError  # noqa: E402

__all__ = ["Dense", "FormatError", "ModelFileError", "Network", "__version__"]
