"""QR codes of survey links, for print: PNG at 300 dpi sizes and scalable SVG."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.pure
import qrcode.image.svg

# M recovers ~15% damage (scuffed or partly covered posters); Q would make denser codes.
ERROR_CORRECTION = qrcode.constants.ERROR_CORRECT_M


class _SvgImage(qrcode.image.svg.SvgPathFillImage):
    """One black path on its own white square (scannable on any background), without the
    library's fixed ``id="qr-path"``: a page of posters holds several codes and ids must be unique."""

    def process(self) -> None:
        super().process()
        self.path.attrib.pop("id", None)


def survey_url(public_url: str, slug: str) -> str:
    return f"{public_url.rstrip('/')}/s/{slug}"


def _code(data: str, box_size: int, border: int = 4) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECTION, box_size=box_size, border=border)
    code.add_data(data)
    code.make(fit=True)
    return code


def png(data: str, box_size: int = 24) -> bytes:
    """A PNG; with the default 24 px modules a typical code is ~800 px, 2.7 in at 300 dpi."""
    out = io.BytesIO()
    _code(data, box_size).make_image(image_factory=qrcode.image.pure.PyPNGImage).save(out)
    return out.getvalue()


def svg(data: str) -> bytes:
    """A single-path SVG that prints sharp at any size."""
    out = io.BytesIO()
    _code(data, box_size=10).make_image(image_factory=_SvgImage).save(out)
    return out.getvalue()


def svg_inline(data: str) -> str:
    """The SVG markup without its XML declaration, to embed in a page."""
    text = svg(data).decode()
    return text[text.index("<svg") :]
