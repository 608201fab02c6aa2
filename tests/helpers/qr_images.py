"""Printed QR codes read back: an SVG code rasterised onto white paper, and decoded with zxing-cpp."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import zxingcpp

SVG_NS = "{http://www.w3.org/2000/svg}"
SQUARE = re.compile(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z")


def svg_pixels(data: bytes | str, scale: int = 10) -> np.ndarray:
    """Rasterise the code's SVG (one path of unit squares in a viewBox) onto white paper."""
    root = ET.fromstring(data)
    assert root.tag == f"{SVG_NS}svg"
    _x, _y, width, height = (float(v) for v in root.get("viewBox").split())
    image = np.full((round(height * scale), round(width * scale)), 255, dtype=np.uint8)
    (path,) = root.iter(f"{SVG_NS}path")
    squares = SQUARE.findall(path.get("d"))
    assert squares and len(squares) == path.get("d").count("M")
    for x0, y0, x1, y1, _x0 in squares:
        image[
            round(float(y0) * scale) : round(float(y1) * scale), round(float(x0) * scale) : round(float(x1) * scale)
        ] = 0
    return image


def decode(pixels: np.ndarray):
    found = zxingcpp.read_barcodes(pixels, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, f"{len(found)} QR codes found"
    (code,) = found
    assert code.valid
    return code
