"""Write and read ``.npz`` archives deterministically and safely.

``numpy.savez`` stamps every entry with the current time, so saving the same arrays twice gives
different bytes. Model files and the bundled digit subset are compared by digest, so this module
writes the same zip layout with a fixed timestamp. Reading always uses ``allow_pickle=False`` and
turns every way a file can be broken into one ``FormatError`` with a human message.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np

_EPOCH = (1980, 1, 1, 0, 0, 0)


class FormatError(ValueError):
    """A file is not what it claims to be: truncated, corrupt, hostile or from a newer version."""


def to_bytes(arrays: dict[str, np.ndarray], compress: bool = True) -> bytes:
    """Serialise ``arrays`` as an ``.npz`` archive whose bytes depend only on the arrays."""
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=_EPOCH)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            payload = io.BytesIO()
            np.lib.format.write_array(payload, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(info, payload.getvalue())
    return buffer.getvalue()


def from_bytes(data: bytes | bytearray | memoryview, what: str = "file") -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` archive, refusing pickled objects.

    Raises:
        FormatError: the bytes are not a readable ``.npz`` of plain numeric arrays.
    """
    raw = bytes(data)
    if not raw:
        raise FormatError(f"The {what} is empty.")
    if not raw.startswith(b"PK"):
        raise FormatError(f"The {what} is not an .npz archive (it does not start like a zip file).")
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except ValueError as error:
        if "pickle" in str(error).lower():
            raise FormatError(
                f"The {what} contains a pickled Python object; it is refused because loading "
                "it could run arbitrary code."
            ) from None
        raise FormatError(f"The {what} is corrupt: {error}") from None
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:
        raise FormatError(f"The {what} is truncated or corrupt ({error}).") from None
    except Exception as error:  # zlib.error, struct.error, ...: all mean "broken file"
        raise FormatError(f"The {what} could not be read ({type(error).__name__}: {error}).") from None
