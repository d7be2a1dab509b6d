#!/usr/bin/python3
"""Write N synthetic ImageNet-like JPEGs to DIR/cNN/<index>.JPEG.

Content is smooth colour fields + mid-frequency texture + shapes + mild noise,
so files compress roughly like photos (tens to ~150 KB at quality 90) and the
JPEG decoder does realistic work. Output depends only on --seed and the index.
"""
import argparse
import glob
import os
import time
from multiprocessing import Pool

import numpy as np
from PIL import Image, ImageDraw

# (width, height, weight): mostly landscape, ~1 in 5 portrait, like ImageNet.
SIZES = [(500, 375, 0.45), (500, 333, 0.20), (480, 360, 0.15), (375, 500, 0.20)]
GREY_FRACTION = 0.02


def field(rng, w, h, cells, channels, amp):
    """Random cells x cells array upsampled bicubically -> smooth field."""
    small = rng.uniform(-amp, amp, size=(cells, cells, channels)).astype(np.float32)
    chans = [np.asarray(Image.fromarray(small[:, :, c], mode="F").resize((w, h), Image.BICUBIC))
             for c in range(channels)]
    return np.stack(chans, axis=2)


def make_image(seed, index):
    # Per-image generator so results do not depend on worker scheduling.
    rng = np.random.default_rng([seed, index])
    sizes = np.array([s[2] for s in SIZES])
    w, h, _ = SIZES[rng.choice(len(SIZES), p=sizes / sizes.sum())]
    grey = rng.random() < GREY_FRACTION

    img = rng.uniform(60, 190, size=3).astype(np.float32)         # base colour
    img = img + field(rng, w, h, int(rng.integers(3, 7)), 3, 70)   # large blobs
    img = img + field(rng, w, h, int(rng.integers(60, 160)), 3, 35)  # texture
    img = np.clip(img, 0, 255).astype(np.uint8)

    pil = Image.fromarray(img, "RGB")
    draw = ImageDraw.Draw(pil)
    for _ in range(int(rng.integers(2, 7))):
        x0, y0 = rng.integers(0, w), rng.integers(0, h)
        x1, y1 = x0 + rng.integers(20, w // 2), y0 + rng.integers(20, h // 2)
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)([x0, y0, x1, y1], fill=colour)

    # Mild noise, shared across channels: JPEG keeps luma at full resolution,
    # so this (not chroma noise, which subsampling discards) sets the file size.
    arr = np.asarray(pil, dtype=np.float32)
    arr += rng.normal(0, rng.uniform(5, 10), size=(h, w, 1)).astype(np.float32)
    pil = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    if grey:
        pil = pil.convert("L")
    return pil


def write_one(job):
    seed, index, classes, out = job
    path = os.path.join(out, "c%02d" % (index % classes), "%06d.JPEG" % index)
    make_image(seed, index).save(path, "JPEG", quality=90)
    return os.path.getsize(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--classes", type=int, default=10)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()

    existing = glob.glob(os.path.join(a.out, "*", "*.JPEG"))
    if len(existing) == a.count:
        print("already present: %d images in %s" % (a.count, a.out))
        return
    for c in range(a.classes):
        os.makedirs(os.path.join(a.out, "c%02d" % c), exist_ok=True)

    t0 = time.perf_counter()
    jobs = [(a.seed, i, a.classes, a.out) for i in range(a.count)]
    with Pool(a.workers) as pool:
        sizes = pool.map(write_one, jobs, chunksize=16)
    total = sum(sizes)
    print("count=%d total_mb=%.1f avg_kb=%.1f seconds=%.1f"
          % (a.count, total / 1e6, total / 1e3 / max(a.count, 1), time.perf_counter() - t0))


if __name__ == "__main__":
    main()
