"""Fuzzing every reader of outside files: models, digit files, PNG pictures and ``.npy`` arrays.

Valid files are mutated with a fixed seed (cut short, bytes flipped, declared sizes and header
fields changed, with checksums repaired so the change reaches the parser) and fed to the same
functions the CLI and the page call. Every case must end in the project's clear error or in a
correct result: never another exception, never more than a few seconds, never a huge allocation.
"""

from __future__ import annotations

import io
import json
import re
import struct
import time
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from pycore import Network, cli, modelfile
from pycore.mydigits import collection_from_bytes, collection_to_bytes
from pycore.npzfile import FormatError, to_bytes

SEED = 20240613
CASES_PER_SEED = 40
MAX_SECONDS = 3.0
MAX_TRACED_BYTES = 300 * 2**20


# --- valid files to start from -------------------------------------------------------------
def _models() -> list[bytes]:
    rng = np.random.default_rng(1)
    small = Network.build([784, 8, 10], ["relu", "softmax"], "cross_entropy", rng=rng)
    tiny = Network.build([784, 10], "softmax", "cross_entropy", rng=rng, dtype=np.float64)
    stored = dict(small.parameters())
    meta = json.dumps(
        {
            "format": "pycore-model",
            "version": 1,
            "sizes": [784, 8, 10],
            "activations": ["relu", "softmax"],
            "loss": "cross_entropy",
            "dtype": "float32",
            "training": {"lr": 0.001, "hidden": [8]},
            "metrics": {"test_accuracy": 0.5},
        }
    )
    stored["__meta__"] = np.frombuffer(meta.encode(), dtype=np.uint8)
    # Uncompressed, so flipped bytes land in zip and .npy headers and in the JSON record as is.
    return [
        modelfile.to_bytes_model(small, {"lr": 0.001}, {"test_accuracy": 0.5}),
        modelfile.to_bytes_model(tiny),
        to_bytes(stored, compress=False),
    ]


def _digit_files() -> list[bytes]:
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (30, 784)).astype(np.uint8)
    labels = np.arange(30) % 10
    arrays = {
        "train_x": pixels[:20],
        "train_y": labels[:20].astype(np.uint8),
        "test_x": pixels[20:],
        "test_y": labels[20:].astype(np.uint8),
    }
    return [collection_to_bytes(pixels, labels), to_bytes(arrays, compress=False)]


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(rows: np.ndarray, color: int, palette: bytes = b"") -> bytes:
    """A PNG of ``rows`` (height, width) or (height, width, channels), uint8, written by hand."""
    height, width = rows.shape[:2]
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + (_chunk(b"PLTE", palette) if palette else b"")
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )


def _pngs() -> list[bytes]:
    digit = np.full((40, 36), 255, np.uint8)
    digit[8:32, 14:20] = 0  # a dark "1" on white
    rgba = np.zeros((30, 30, 4), np.uint8)
    rgba[5:25, 12:18] = (20, 20, 20, 255)  # ink on a transparent background
    palette = bytes([255, 255, 255, 0, 0, 0])
    from PIL import Image

    deep = io.BytesIO()  # 16-bit gray, written by Pillow: another decoder path
    Image.fromarray(digit.astype(np.uint16) * 257).save(deep, format="PNG")
    return [
        _png(digit, 0),
        _png(rgba, 6),
        _png((digit < 128).astype(np.uint8), 3, palette),
        deep.getvalue(),
    ]


def _npys() -> list[bytes]:
    out = []
    for array in (
        np.arange(784, dtype=np.uint8).reshape(28, 28),
        np.linspace(0, 1, 60 * 50).reshape(60, 50),
        np.eye(28, dtype=np.float32),
    ):
        buffer = io.BytesIO()
        np.save(buffer, array)
        out.append(buffer.getvalue())
    return out


# --- mutations -----------------------------------------------------------------------------
EXTREMES = [0, 1, 255, 4096, 4097, 2**15, 2**16 - 1, 2**31 - 1, 2**31, 2**32 - 1]


def _truncate(data: bytes, rng) -> bytes:
    return data[: int(rng.integers(0, len(data)))]


def _flip(data: bytes, rng) -> bytes:
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        out[int(rng.integers(0, len(out)))] ^= int(rng.integers(1, 256))
    return bytes(out)


def _int32(data: bytes, rng) -> bytes:
    """Overwrite a 4-byte field (a size, an offset, a count) with an extreme value."""
    out = bytearray(data)
    at = int(rng.integers(0, max(1, len(out) - 4)))
    order = "<I" if rng.random() < 0.5 else ">I"
    out[at : at + 4] = struct.pack(order, EXTREMES[int(rng.integers(0, len(EXTREMES)))])
    return bytes(out)


def _header_text(data: bytes, rng) -> bytes:
    """Change a declared shape, type or number inside a text header (.npy dict, JSON record)."""
    replacements = [
        (rb"\(\d+, ?\d+\)", b"(100000, 100000)"),
        (rb"\(\d+, ?\d+\)", b"(-1, 784)"),
        (rb"\(\d+,\)", b"(4294967296,)"),
        (rb"'[<|>][a-z]\d+'", b"'|O'"),
        (rb"'[<|>][a-z]\d+'", b"'<c16'"),
        (rb"'[<|>][a-z]\d+'", b"[('a', '<f4')]"),
        (rb'"sizes": \[[^\]]*\]', b'"sizes": [784, 99999999999999999999, 10]'),
        (rb'"sizes": \[[^\]]*\]', b'"sizes": ' + b"[" * 40 + b"]" * 40),
        (rb'"loss": "[a-z_]+"', b'"loss": ["cross_entropy"]'),
        (rb'"version": \d+', b'"version": 1e400'),
        (rb"\d+", b"9" * 30),
    ]
    pattern, new = replacements[int(rng.integers(0, len(replacements)))]
    return re.sub(pattern, new, data, count=1)


def _png_field(data: bytes, rng) -> bytes:
    """Change one IHDR field (width, height, depth, colour, interlace) and repair its CRC."""
    if len(data) < 33:
        return _flip(data, rng) if data else data
    width, height, depth, color, comp, filt, lace = struct.unpack(">IIBBBBB", data[16:29])
    field = int(rng.integers(0, 5))
    if field == 0:
        width = EXTREMES[int(rng.integers(0, len(EXTREMES)))]
    elif field == 1:
        height = EXTREMES[int(rng.integers(0, len(EXTREMES)))]
    elif field == 2:
        depth = int(rng.choice([1, 2, 4, 16, 7, 0]))
    elif field == 3:
        color = int(rng.choice([0, 2, 3, 4, 6, 5, 9]))
    else:
        lace = int(rng.choice([1, 2]))
    body = struct.pack(">IIBBBBB", width, height, depth, color, comp, filt, lace)
    return data[:8] + _chunk(b"IHDR", body) + data[33:]


def _png_idat(data: bytes, rng) -> bytes:
    """Replace the image data: corrupt zlib, a zlib bomb, or too few rows; CRC repaired."""
    start = data.find(b"IDAT") - 4
    if start < 8 or start + 8 > len(data):
        return _png_field(data, rng)
    length = struct.unpack(">I", data[start : start + 4])[0]
    end = start + 12 + length
    choice = int(rng.integers(0, 3))
    if choice == 0:
        payload = bytes(rng.integers(0, 256, 64, dtype=np.uint8))
    elif choice == 1:
        payload = zlib.compress(b"\x00" * 50_000_000, 9)
    else:
        payload = zlib.compress(b"\x00" * 10)
    return data[:start] + _chunk(b"IDAT", payload) + data[end:]


def _member(data: bytes, rng) -> bytes:
    """Mutate one array inside an archive and pack it again with valid CRCs, so the change
    reaches the .npy header and the JSON record instead of stopping at the zip checksum."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    except Exception:
        return _flip(data, rng)
    index = int(rng.integers(0, len(members)))
    change = [_truncate, _flip, _int32, _header_text][int(rng.integers(0, 4))]
    name, body = members[index]
    members[index] = (name, change(body, rng) if body else body)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members:
            archive.writestr(name, body)
    return buffer.getvalue()


def _png_repair(data: bytes, rng) -> bytes:
    """Flip bytes inside the chunks, then give every chunk a correct CRC again."""
    data, out, pos = _flip(data, rng), bytearray(data[:8]), 8
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        out += _chunk(kind, body)
        pos += 12 + length
    return bytes(out)


GENERIC = [_truncate, _flip, _int32, _header_text]
ARCHIVE = [_truncate, _flip, _int32, _member, _member, _member]
KINDS = {
    "model": (_models, ARCHIVE),
    "digits": (_digit_files, ARCHIVE),
    "png": (_pngs, [_truncate, _flip, _int32, _png_field, _png_idat, _png_repair, _png_repair]),
    "npy": (_npys, GENERIC),
}


# --- what a correct result looks like ------------------------------------------------------
def _check_model(result) -> None:
    net, meta = result
    assert isinstance(meta, dict) and net.sizes[0] == 784 and net.sizes[-1] == 10
    probs = net.predict_proba(np.full((1, 784), 0.5))
    assert probs.shape == (1, 10) and np.all(np.isfinite(probs))


def _check_collection(result) -> None:
    pixels, labels = result
    assert pixels.dtype == np.uint8 and pixels.shape == (labels.size, 784)
    assert labels.size == 0 or int(labels.max()) <= 9


def _check_subset(subset) -> None:
    _check_collection((subset.train.pixels, subset.train.labels))
    _check_collection((subset.test.pixels, subset.test.labels))


def _check_input(x) -> None:
    assert x.shape == (784,) and x.dtype == np.float32
    assert np.all(np.isfinite(x)) and 0 <= x.min() and x.max() <= 1


def _readers(kind: str, path: Path, data: bytes):
    """(function, arguments, clear error types, result check) for every reader of ``kind``."""
    if kind == "model":
        return [
            (cli._load_model, (path,), cli.InputError, _check_model),
            (modelfile.from_bytes_model, (data, modelfile.DIGITS), FormatError, _check_model),
        ]
    if kind == "digits":
        return [
            (cli._load_data, (path,), cli.InputError, _check_subset),
            (collection_from_bytes, (data,), FormatError, _check_collection),
        ]
    return [(cli._read_image, (path,), cli.InputError, _check_input)]


def _cases(kind: str):
    make, mutations = KINDS[kind]
    rng = np.random.default_rng([SEED, list(KINDS).index(kind)])
    for seed_index, original in enumerate(make()):
        yield f"{kind}-{seed_index}-valid", original
        for case in range(CASES_PER_SEED):
            data = original
            for _ in range(int(rng.integers(1, 3))):  # one or two mutations stacked
                data = mutations[int(rng.integers(0, len(mutations)))](data, rng)
            yield f"{kind}-{seed_index}-{case}", data


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_mutated_files_end_in_a_clear_error_or_a_correct_result(kind, tmp_path):
    suffix = {"model": ".npz", "digits": ".npz", "png": ".png", "npy": ".npy"}[kind]
    outcomes = {"refused": 0, "read": 0}
    for number, (name, data) in enumerate(_cases(kind)):
        path = tmp_path / f"case{suffix}"
        path.write_bytes(data)
        measure = number % 8 == 0
        for function, args, clear, check in _readers(kind, path, data):
            if measure:
                tracemalloc.start()
            start = time.perf_counter()
            try:
                result = function(*args)
            except clear as error:
                assert 0 < len(str(error)) <= 300 + len(str(path)) + 2, (name, str(error)[:400])
                outcomes["refused"] += 1
            except Exception as error:  # the failure this test exists to find
                pytest.fail(f"{name}: {function.__name__} raised {type(error).__name__}: {error}")
            else:
                check(result)
                outcomes["read"] += 1
            finally:
                seconds = time.perf_counter() - start
                if measure:
                    peak = tracemalloc.get_traced_memory()[1]
                    tracemalloc.stop()
                    assert peak < MAX_TRACED_BYTES, f"{name}: {peak / 2**20:.0f} MB"
            assert seconds < MAX_SECONDS, f"{name}: {function.__name__} took {seconds:.1f}s"
    # Both outcomes occur: the valid files are read, and most mutations are refused.
    assert outcomes["read"] >= len(KINDS[kind][0]()) and outcomes["refused"] > 0, outcomes
