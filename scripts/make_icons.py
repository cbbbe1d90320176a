"""Draw the PWA icons (a white house on the brand red) as PNG, with no imaging library.

Usage: python3 scripts/make_icons.py   → frontend/public/icon-192.png, icon-512.png, apple-touch-icon.png
"""

import struct
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "frontend" / "public"
RED = (179, 38, 30)
WHITE = (255, 255, 255)


def inside_house(x: float, y: float) -> bool:
    """The house in unit coordinates (0..1), kept inside the maskable safe zone (the centre 80%)."""
    roof = 0.22 <= y <= 0.47 and abs(x - 0.5) <= (y - 0.22) * 1.2
    body = 0.45 <= y <= 0.78 and 0.3 <= x <= 0.7
    door = 0.6 <= y <= 0.78 and 0.45 <= x <= 0.55
    return (roof or body) and not door


def png(size: int) -> bytes:
    rows = bytearray()
    for j in range(size):
        rows.append(0)
        for i in range(size):
            rows.extend(WHITE if inside_house((i + 0.5) / size, (j + 0.5) / size) else RED)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
<rect width="100" height="100" fill="#b3261e"/>
<path d="M50 22 L80 47 L70 47 L70 78 L55 78 L55 60 L45 60 L45 78 L30 78 L30 47 L20 47 Z" fill="#fff"/>
</svg>
"""

if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, size in (("icon-192.png", 192), ("icon-512.png", 512), ("apple-touch-icon.png", 180)):
        (OUT / name).write_bytes(png(size))
    (OUT / "icon.svg").write_text(SVG, encoding="utf-8")
    print(f"icons written to {OUT}")
