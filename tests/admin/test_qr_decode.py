"""Every printed QR code scans back to its location's survey address (decoded with zxing-cpp)."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import numpy as np
import png
import pytest
import qrcode
import qrcode.image.pure
from sqlalchemy import select

from feedback.models import Location
from feedback.services import demo, qr
from tests.admin.conftest import current_slug, sign_in
from tests.helpers.qr_images import decode, svg_pixels

PUBLIC_URL = "https://feedback.example.gov"
PRINT_PIXELS = 600  # 2 in at 300 dpi: the smallest a counter poster code should be
GOOD_ENOUGH_EC = {"M", "Q", "H"}  # M recovers ~15% damage; L is too fragile for scuffed posters


def png_pixels(data: bytes) -> np.ndarray:
    """A PNG as an 8-bit grey image (pypng; 1-bit values scaled to 0/255)."""
    width, height, rows, info = png.Reader(bytes=data).read()
    assert "palette" not in info
    pixels = np.vstack([np.asarray(row, dtype=np.float64) for row in rows]).reshape(height, width, info["planes"])
    grey = pixels[..., :3].mean(axis=2) if info["planes"] >= 3 else pixels[..., 0]
    return np.round(grey * 255 / (2 ** info["bitdepth"] - 1)).astype(np.uint8)


def assert_scans_to(pixels: np.ndarray, url: str) -> None:
    code = decode(pixels)
    assert code.text == url
    assert code.ec_level in GOOD_ENOUGH_EC


def assert_print_size(data: bytes) -> None:
    width, height, _rows, _info = png.Reader(bytes=data).read()
    assert width == height >= PRINT_PIXELS


def survey_url(session, location) -> str:
    return f"{PUBLIC_URL}/s/{current_slug(session, location)}"


@pytest.fixture
def demo_world(app, session, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC_URL)
    result = demo.load(session, now=datetime.now(UTC), weeks=1)
    assert result["created"] and result["locations"] == 9
    locations = session.scalars(select(Location).order_by(Location.code)).all()
    assert len(locations) == 9
    return locations


def test_the_decoder_tells_codes_apart():
    """The checks can fail: another address, a low-correction code or a blank page do not pass."""
    url = f"{PUBLIC_URL}/s/abcdefghjk"
    assert_scans_to(png_pixels(qr.png(url)), url)
    with pytest.raises(AssertionError):
        assert_scans_to(png_pixels(qr.png(f"{PUBLIC_URL}/s/abcdefghjm")), url)
    weak = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, box_size=24)
    weak.add_data(url)
    out = io.BytesIO()
    weak.make_image(image_factory=qrcode.image.pure.PyPNGImage).save(out)
    assert decode(png_pixels(out.getvalue())).text == url
    with pytest.raises(AssertionError):
        assert_scans_to(png_pixels(out.getvalue()), url)
    with pytest.raises(AssertionError):
        decode(np.full((700, 700), 255, dtype=np.uint8))
    with pytest.raises(AssertionError):
        assert_print_size(qr.png(url, box_size=8))


def test_every_demo_location_png_scans_to_its_survey_address(session, demo_world):
    for location in demo_world:
        url = survey_url(session, location)
        assert url == qr.survey_url(PUBLIC_URL, current_slug(session, location))
        data = qr.png(url)
        assert_print_size(data)
        assert_scans_to(png_pixels(data), url)
        assert_scans_to(svg_pixels(qr.svg(url)), url)


def test_admin_downloads_scan_to_each_locations_survey_address(new_client, session, demo_world):
    admin = new_client()
    assert sign_in(admin, *demo.DEMO_ADMIN).status_code == 302
    for location in demo_world:
        url = survey_url(session, location)
        png_download = admin.get(f"/admin/locations/{location.code}/qr.png")
        assert png_download.status_code == 200 and png_download.mimetype == "image/png"
        assert_print_size(png_download.data)
        assert_scans_to(png_pixels(png_download.data), url)
        svg_download = admin.get(f"/admin/locations/{location.code}/qr.svg")
        assert svg_download.status_code == 200
        assert_scans_to(svg_pixels(svg_download.data), url)
        # The code printed on the poster is the same address as the one written under it.
        page = admin.get(f"/admin/locations/{location.code}/poster").get_data(as_text=True)
        (inline,) = re.findall(r'<div class="qr"[^>]*>(.*?)</div>', page, re.S)
        assert_scans_to(svg_pixels(inline), url)
        assert f'<p class="url">{url.split("://", 1)[1]}</p>' in page
        # And the address opens the survey.
        assert new_client().get(url.removeprefix(PUBLIC_URL)).status_code == 200


def test_office_posters_each_scan_to_their_own_counter(new_client, session, demo_world):
    manager = new_client()
    assert sign_in(manager, *demo.DEMO_MANAGER).status_code == 302
    page = manager.get("/admin/offices/houston-passport-agency/posters").get_data(as_text=True)
    houston = [loc for loc in demo_world if loc.code.startswith("HOU-")]
    codes = re.findall(r'<div class="qr"[^>]*>(.*?)</div>', page, re.S)
    assert len(codes) == len(houston) == 3
    for inline, location in zip(codes, houston, strict=True):
        assert_scans_to(svg_pixels(inline), survey_url(session, location))
    # The demo manager only has Houston.
    assert manager.get("/admin/locations/NYC-W1/qr.png").status_code == 404


def test_cli_qr_file_scans_and_rotation_prints_a_new_address(app, runner, new_client, session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", PUBLIC_URL)

    def run(*args):
        result = runner.invoke(args=list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "Loaded 9 locations" in run("demo", "load", "--weeks", "1")
    location = session.scalar(select(Location).where(Location.code == "HOU-C1"))
    old = run("location", "link", "hou-c1").strip()
    assert old == survey_url(session, location)
    assert re.fullmatch(re.escape(PUBLIC_URL) + r"/s/[a-z2-9]{10}", old)
    assert re.search(rf"Phone HOU-C1 +{re.escape(old)}$", run("demo", "links"), re.M)

    png_file = tmp_path / "hou-c1.png"
    out = run("location", "qr", "HOU-C1", "-o", str(png_file))
    assert f"Wrote {png_file}" in out and old in out
    data = png_file.read_bytes()
    assert_print_size(data)
    assert_scans_to(png_pixels(data), old)
    svg_file = tmp_path / "hou-c1.svg"
    run("location", "qr", "HOU-C1", "--format", "svg", "-o", str(svg_file))
    assert_scans_to(svg_pixels(svg_file.read_bytes()), old)

    new = run("location", "link", "HOU-C1", "--rotate").strip()
    assert new != old
    assert re.fullmatch(re.escape(PUBLIC_URL) + r"/s/[a-z2-9]{10}", new)
    assert new == survey_url(session, location)
    assert run("location", "link", "HOU-C1").strip() == new  # printing again keeps it
    run("location", "qr", "HOU-C1", "-o", str(png_file))
    assert_scans_to(png_pixels(png_file.read_bytes()), new)

    visitor = new_client()
    gone = visitor.get(old.removeprefix(PUBLIC_URL))
    assert gone.status_code == 410
    assert "Houston Passport Agency" in gone.get_data(as_text=True)
    assert visitor.get(new.removeprefix(PUBLIC_URL)).status_code == 200
