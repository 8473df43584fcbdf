"""Read a PNG image with the standard library only (8-bit, non-interlaced), for the CLI.

pycore depends on NumPy alone, so the CLI cannot lean on an imaging library to read a digit
someone saved. This reads the common cases: grayscale, grayscale+alpha, RGB, RGBA and palette
images with 8 bits per channel. It returns ink as float in [0, 1] (dark ink on a light
background is inverted, so ink is always high).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> np.ndarray:
    rows = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    pos = 0
    for y in range(height):
        kind = raw[pos]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=pos + 1).astype(np.int32)
        pos += stride + 1
        if kind == 0:
            out = line
        elif kind == 2:
            out = (line + prev) & 0xFF
        else:  # Sub, Average and Paeth depend on the pixel to the left: go byte by byte
            out = np.zeros(stride, dtype=np.int32)
            for i in range(stride):
                left = out[i - bpp] if i >= bpp else 0
                up, corner = prev[i], (prev[i - bpp] if i >= bpp else 0)
                if kind == 1:
                    pred = left
                elif kind == 3:
                    pred = (left + up) // 2
                elif kind == 4:
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    pred = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                else:
                    raise ValueError(f"unknown PNG filter type {kind}")
                out[i] = (line[i] + pred) & 0xFF
        rows[y] = out
        prev = out
    return rows


def read_png(data: bytes) -> np.ndarray:
    """Ink intensity (H, W) float64 in [0, 1] of a PNG file's bytes."""
    if not data.startswith(_SIGNATURE):
        raise ValueError("not a PNG file")
    pos, idat, palette, header = 8, [], None, None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None:
        raise ValueError("the PNG file has no header")
    width, height, depth, color, _, _, interlace = header
    if depth != 8 or interlace or color not in _CHANNELS:
        raise ValueError("only 8-bit, non-interlaced PNG images are supported")
    channels = _CHANNELS[color]
    rows = _unfilter(zlib.decompress(b"".join(idat)), height, width * channels, channels)
    pixels = rows.reshape(height, width, channels).astype(np.float64) / 255
    if color == 3:
        pixels = palette[rows.reshape(height, width)].astype(np.float64) / 255
        channels = 3
    alpha = pixels[..., -1] if channels in (2, 4) else np.ones((height, width))
    gray = pixels[..., :3].mean(axis=-1) if channels >= 3 else pixels[..., 0]
    if channels in (2, 4) and alpha.min() < 1:
        # Put a transparent drawing on the background that contrasts with its ink.
        opaque = gray[alpha > 0.5]
        background = 1.0 if opaque.size and opaque.mean() < 0.5 else 0.0
        gray = gray * alpha + background * (1 - alpha)
    # Most drawings are dark ink on white; MNIST is light ink on black. Ink is the minority.
    return 1 - gray if np.median(gray) > 0.5 else gray
