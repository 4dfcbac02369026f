"""Build the Teams app package (zip) from manifest.template.json, the nb/sv localisations and two icons.

    .venv/bin/python -m teams.build_app_package --out var/teams-app.zip

Placeholders `${NAME}` are filled from the environment (.env is read); a missing one is an error, so a
package never ships with a placeholder in it. Icons are drawn here (plain PNGs: 192x192 colour, 32x32
white outline on transparent) so the package needs no binary files in the repository; replace them with
the company's artwork when there is one.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Mapping, Optional

HERE = Path(__file__).resolve().parent
PLACEHOLDER = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
DEFAULTS = {"APP_VERSION": "1.0.0"}


def fill_template(template: str, values: Mapping[str, str]) -> str:
    missing = sorted({name for name in PLACEHOLDER.findall(template) if not values.get(name)})
    if missing:
        raise KeyError("missing values for: " + ", ".join(missing))
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], template)


def _png(size: int, pixel) -> bytes:
    """A minimal RGBA PNG; `pixel(x, y)` returns (r, g, b, a)."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _shield(size: int, x: int, y: int) -> bool:
    """A simple shield shape, the assistant's mark."""
    cx, top, bottom, half = size / 2, size * 0.18, size * 0.85, size * 0.32
    if not top <= y <= bottom:
        return False
    width = half if y < size * 0.55 else half * (bottom - y) / (bottom - size * 0.55)
    return abs(x - cx) <= width


def color_icon() -> bytes:
    return _png(192, lambda x, y: (255, 255, 255, 255) if _shield(192, x, y) else (31, 78, 121, 255))


def outline_icon() -> bytes:
    return _png(32, lambda x, y: (255, 255, 255, 255) if _shield(32, x, y) else (0, 0, 0, 0))


def build(out: Path, values: Mapping[str, str]) -> Path:
    manifest = fill_template((HERE / "manifest.template.json").read_text(encoding="utf-8"), values)
    json.loads(manifest)  # never package broken JSON
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", manifest)
        for localisation in ("nb.json", "sv.json"):
            package.writestr(localisation, (HERE / localisation).read_text(encoding="utf-8"))
        package.writestr("color.png", color_icon())
        package.writestr("outline.png", outline_icon())
    return out


def main(argv: Optional[list] = None) -> int:
    import os

    from dotenv import load_dotenv

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("var/teams-app.zip"))
    args = parser.parse_args(argv)
    load_dotenv(override=False)
    values = {**DEFAULTS, **{k: v for k, v in os.environ.items() if v}}
    values.setdefault("BOT_APP_ID", os.environ.get("TEAMS_APP_ID", ""))
    values.setdefault("TEAMS_MANIFEST_ID", values.get("BOT_APP_ID", ""))
    try:
        path = build(args.out, values)
    except KeyError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
