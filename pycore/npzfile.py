"""Write and read ``.npz`` archives deterministically and safely, and read input files from disk.

``numpy.savez`` stamps every entry with the current time, so saving the same arrays twice gives
different bytes. Model files and the bundled digit subset are compared by digest, so this module
writes the same zip layout with a fixed timestamp. Reading always uses ``allow_pickle=False`` and
turns every way a file can be broken into one ``FormatError`` with a human message.

Every size is checked from a header before anything that size is allocated: a file on disk must
be a regular file no larger than the caller allows (:func:`read_file`), and an array's header
must not claim more bytes than the archive holds for it.
"""

from __future__ import annotations

import errno
import io
import math
import os
import stat
import zipfile
from pathlib import Path

import numpy as np

_EPOCH = (1980, 1, 1, 0, 0, 0)
MAX_MESSAGE = 300
"""Longest error message, in characters: a hostile file must not produce a page of text."""
MAX_MEMBERS = 256
# bool, signed and unsigned integers, floats: everything pycore stores or reads as an image.
_NUMERIC_KINDS = "biuf"


class FormatError(ValueError):
    """A file is not what it claims to be: truncated, corrupt, hostile or from a newer version.

    The message is one readable sentence or two; anything longer is cut to ``MAX_MESSAGE``.
    """

    def __init__(self, message: str):
        message = " ".join(str(message).split())
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 3] + "..."
        super().__init__(message)


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for quoting a bad value inside a message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_file(path: str | Path, what: str = "file", max_bytes: int = 256 * 2**20) -> bytes:
    """The bytes of the regular file at ``path``, refused before reading if it is not one.

    A directory, FIFO, socket or device (``/dev/zero``) is refused without reading a byte (a
    FIFO is opened non-blocking, so it cannot hang), and so is a file larger than ``max_bytes``.

    Raises:
        FormatError: the file is missing, unreadable, not a regular file or too large; the
            message does not repeat the path (callers print it in front).
    """
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            raise FormatError(f"this is a directory, not a {what}.")
        if not stat.S_ISREG(info.st_mode):
            raise FormatError("this is not a regular file (a pipe or a device?); refused.")
        if info.st_size > max_bytes:
            raise FormatError(
                f"the {what} is {info.st_size / 2**20:,.1f} MB; at most "
                f"{max_bytes / 2**20:,.0f} MB is read."
            )
        # O_NONBLOCK: if the path was swapped for a FIFO after the check, open must not wait.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise FormatError("this is not a regular file; refused.")
            data = handle.read(max_bytes + 1)
    except FormatError:
        raise
    except OSError as error:
        reason = {
            errno.ENOENT: "no such file",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
            errno.ENOTDIR: "a part of the path is a file, not a directory",
            errno.EISDIR: f"this is a directory, not a {what}",
        }.get(error.errno, error.strerror or str(error))
        raise FormatError(f"cannot read the {what}: {reason}.") from None
    if len(data) > max_bytes:
        raise FormatError(f"the {what} grew past {max_bytes / 2**20:,.0f} MB while being read.")
    return data


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


def _read_array(
    stream, name: str, available: int, what: str, max_elements: int | None = None
) -> np.ndarray:
    """One ``.npy`` array from ``stream``, checking its header against ``available`` bytes."""
    version = np.lib.format.read_magic(stream)
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    if version not in readers:
        raise FormatError(f"The {what} uses .npy version {version}, which is not supported.")
    shape, fortran_order, dtype = readers[version](stream)
    if dtype.hasobject:
        raise FormatError(
            f"The {what} contains a pickled Python object ({name}); it is refused "
            "because loading it could run arbitrary code."
        )
    if dtype.kind not in _NUMERIC_KINDS or dtype.names is not None or dtype.subdtype is not None:
        raise FormatError(f"The {what} holds {name} of type {dtype}, not plain numbers.")
    if any(n < 0 for n in shape):
        raise FormatError(f"The {what} declares a negative size for {name}.")
    count = math.prod(shape)
    if max_elements is not None and count > max_elements:
        raise FormatError(
            f"The {what} declares {count:,} values for {name}; at most {max_elements:,} are read."
        )
    # The header's claim must fit in what the archive really holds, so a hostile header
    # cannot make us allocate gigabytes.
    needed = count * dtype.itemsize
    if needed > available:
        raise FormatError(f"The {what} is truncated: {name} claims more data than it holds.")
    data = stream.read(needed)
    if len(data) != needed:
        raise FormatError(f"The {what} is truncated in {name}.")
    array = np.frombuffer(bytearray(data), dtype=dtype)
    return array.reshape(shape[::-1]).T if fortran_order else array.reshape(shape)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, what: str) -> np.ndarray:
    with archive.open(info) as member:
        return _read_array(member, info.filename, info.file_size, what)


def read_npy(
    data: bytes | bytearray | memoryview, what: str = "array file", max_elements: int = 2**24
) -> np.ndarray:
    """The one array of a ``.npy`` file's bytes: plain numbers only, at most ``max_elements``.

    Raises:
        FormatError: not an ``.npy`` file, a pickle, a structured or text array, too many
            values, or fewer bytes than the header claims.
    """
    raw = bytes(data)
    if not raw:
        raise FormatError(f"The {what} is empty.")
    if not raw.startswith(b"\x93NUMPY"):
        raise FormatError(f"The {what} is not an .npy array file.")
    stream = io.BytesIO(raw)
    try:
        return _read_array(stream, "values", len(raw), what, max_elements)
    except FormatError:
        raise
    except Exception as error:  # ValueError/SyntaxError from a bad header: a broken file
        raise FormatError(f"The {what} has a broken header ({type(error).__name__}).") from None


def from_bytes(
    data: bytes | bytearray | memoryview, what: str = "file", max_bytes: int = 256 * 2**20
) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` archive, refusing pickled objects.

    At most ``MAX_MEMBERS`` arrays and ``max_bytes`` unpacked bytes (as the archive declares
    them, checked before anything is unpacked).

    Raises:
        FormatError: the bytes are not a readable ``.npz`` of plain numeric arrays.
    """
    raw = bytes(data)
    if not raw:
        raise FormatError(f"The {what} is empty.")
    if raw[:1] == b"\x80":
        raise FormatError(
            f"The {what} is a Python pickle, not an .npz archive; it is refused because loading "
            "it could run arbitrary code."
        )
    if not raw.startswith(b"PK"):
        raise FormatError(f"The {what} is not an .npz archive (it does not start like a zip file).")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = archive.infolist()
            if len(members) > MAX_MEMBERS:
                raise FormatError(f"The {what} holds {len(members):,} entries; refused.")
            if sum(info.file_size for info in members) > max_bytes:
                raise FormatError(
                    f"The {what} unpacks to more than {max_bytes // 2**20} MB; refused."
                )
            arrays = {}
            for info in members:
                if not info.filename.endswith(".npy"):
                    raise FormatError(
                        f"The {what} holds {shorten(info.filename)}, which is not an array."
                    )
                arrays[info.filename[:-4]] = _read_member(archive, info, what)
            return arrays
    except FormatError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:
        raise FormatError(f"The {what} is truncated or corrupt ({shorten(str(error))}).") from None
    except Exception as error:  # zlib.error, ValueError from a bad header, ...: a broken file
        raise FormatError(
            f"The {what} could not be read ({type(error).__name__}: {error})."
        ) from None
