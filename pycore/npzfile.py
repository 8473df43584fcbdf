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


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, what: str) -> np.ndarray:
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        readers = {
            (1, 0): np.lib.format.read_array_header_1_0,
            (2, 0): np.lib.format.read_array_header_2_0,
        }
        if version not in readers:
            raise FormatError(f"The {what} uses .npy version {version}, which is not supported.")
        shape, fortran_order, dtype = readers[version](member)
        if dtype.hasobject:
            raise FormatError(
                f"The {what} contains a pickled Python object ({info.filename}); it is refused "
                "because loading it could run arbitrary code."
            )
        # The header's claim must fit in what the archive really holds, so a hostile header
        # cannot make us allocate gigabytes.
        needed = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        if needed > info.file_size:
            raise FormatError(
                f"The {what} is truncated: {info.filename} claims more data than it holds."
            )
        data = member.read(needed)
    if len(data) != needed:
        raise FormatError(f"The {what} is truncated in {info.filename}.")
    array = np.frombuffer(bytearray(data), dtype=dtype)
    return array.reshape(shape[::-1]).T if fortran_order else array.reshape(shape)


def from_bytes(
    data: bytes | bytearray | memoryview, what: str = "file", max_bytes: int = 256 * 2**20
) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` archive, refusing pickled objects.

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
            if sum(info.file_size for info in members) > max_bytes:
                raise FormatError(
                    f"The {what} unpacks to more than {max_bytes // 2**20} MB; refused."
                )
            arrays = {}
            for info in members:
                if not info.filename.endswith(".npy"):
                    raise FormatError(f"The {what} holds {info.filename!r}, which is not an array.")
                arrays[info.filename[:-4]] = _read_member(archive, info, what)
            return arrays
    except FormatError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, KeyError) as error:
        raise FormatError(f"The {what} is truncated or corrupt ({error}).") from None
    except Exception as error:  # zlib.error, ValueError from a bad header, ...: a broken file
        raise FormatError(
            f"The {what} could not be read ({type(error).__name__}: {error})."
        ) from None
