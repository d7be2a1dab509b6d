"""Writes the PIL reference for ImageDecoderTest's PIL resampling: a seeded 131x83 RGB pattern (pattern.png) and
what torchvision's Resize (on PIL images) + CenterCrop make of it, as 8-bit levels (pattern-pil.json).

Run with Debian's Python and Pillow (apt-get install python3-pil): /usr/bin/python3 make_pil_resize_reference.py OUT
"""
import json
import random
import sys
from pathlib import Path

from PIL import Image


def center_crop(im, h, w):
    # torchvision.transforms.functional.center_crop: int(round(...)), Python's round (half to even)
    top = int(round((im.height - h) / 2.0))
    left = int(round((im.width - w) / 2.0))
    return im.crop((left, top, left + w, top + h))


def resize_shorter(im, size):
    # torchvision.transforms.functional.resize with an int: the shorter side to size, the longer int(size * l / s)
    w, h = im.size
    if w <= h:
        return im.resize((size, int(size * h / w)), Image.BILINEAR)
    return im.resize((int(size * w / h), size), Image.BILINEAR)


def planes(im):
    return [list(im.getchannel(c).getdata()) for c in range(3)]


def main(out):
    out = Path(out)
    rnd = random.Random(20231127)
    im = Image.new("RGB", (131, 83))
    # Noise over a smooth gradient: shrinking without a low-pass filter would alias it.
    im.putdata([((x * 2 + rnd.randrange(60)) % 256, (y * 3 + rnd.randrange(60)) % 256, rnd.randrange(256))
                for y in range(83) for x in range(131)])
    im.save(out / "pattern.png")
    cases = {
        "shorter_40_crop_32": planes(center_crop(resize_shorter(im, 40), 32, 32)),
        "shorter_37_crop_30x36": planes(center_crop(resize_shorter(im, 37), 30, 36)),
        "shorter_120_crop_40": planes(center_crop(resize_shorter(im, 120), 40, 40)),
        "straight_20x30": planes(im.resize((30, 20), Image.BILINEAR)),
        # Already of the input size: torchvision still resizes the shorter side (83 -> 140), then crops.
        "input_size_shorter_140": planes(center_crop(resize_shorter(im, 140), 83, 131)),
    }
    (out / "pattern-pil.json").write_text(json.dumps({"pillow": Image.__version__, "cases": cases}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
