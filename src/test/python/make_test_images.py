#!/usr/bin/python3
"""Image files ImageNet-style data really contains, for the decoder tests (Debian's python3-pil):
a CMYK JPEG, a greyscale JPEG, a 16-bit greyscale PNG, PNG bytes under a .JPEG name, and a
truncated JPEG. Each is a 32x24 image whose left half has a known colour.

Usage: /usr/bin/python3 src/test/python/make_test_images.py  (writes src/test/resources/images/)
"""
import io
import os

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), "..", "resources", "images")


def main():
    os.makedirs(OUT, exist_ok=True)
    rgb = np.zeros((24, 32, 3), dtype=np.uint8)
    rgb[:, :16] = (200, 40, 10)      # left half: orange-red
    rgb[:, 16:] = (10, 10, 10)
    img = Image.fromarray(rgb, "RGB")
    img.convert("CMYK").save(os.path.join(OUT, "cmyk.jpg"), quality=95)
    img.convert("L").save(os.path.join(OUT, "grey.jpg"), quality=95)
    grey16 = np.zeros((24, 32), dtype=np.uint16)
    grey16[:, :16] = 40000
    Image.fromarray(grey16).save(os.path.join(OUT, "grey16.png"))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    with open(os.path.join(OUT, "png-inside.JPEG"), "wb") as f:
        f.write(buf.getvalue())
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=95)
    data = buf.getvalue()
    with open(os.path.join(OUT, "truncated.jpg"), "wb") as f:
        f.write(data[: len(data) // 3])


if __name__ == "__main__":
    main()
