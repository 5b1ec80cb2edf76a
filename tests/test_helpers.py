"""The test helpers' own PNG decoder, on an image made by hand."""

import struct
import zlib

import pytest
from helpers import luminance_stats, png_pixels


def test_png_decoder_on_a_known_image():
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    # 2×2 RGB: black, white / white, black; rows filtered with Sub and Up
    raw = b"\x01" + bytes([0, 0, 0, 255, 255, 255]) + b"\x02" + bytes([255, 255, 255, 1, 1, 1])
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    assert png_pixels(png)[3] == [bytearray([0, 0, 0, 255, 255, 255]), bytearray([255, 255, 255, 0, 0, 0])]
    variance, colours = luminance_stats(png, step=1)
    assert colours == 2 and variance == pytest.approx(255 ** 2 / 4)
