#!/usr/bin/python3
"""An ImageNet-shaped tree of small real JPEGs, for data-prep's file-count benchmark (not CI).

    make_synthetic_imagenet.py OUT [--classes 1000] [--per-class 1280] [--val 50000] [--side 32]

OUT/train/n<8 digits>/n<8 digits>_<n>.JPEG (classes x per-class files), OUT/val/ILSVRC2012_val_<8
digits>.JPEG (flat, as the official download) and OUT/LOC_val_solution.csv labelling them. Every
file is a real baseline JPEG of side x 3/4 side pixels; 512 distinct ones (noise over a gradient,
encoded once by Pillow) are cycled, so building 1.33M files takes minutes, not hours.
"""
import argparse
import io
import os
import random

from PIL import Image


def jpegs(side, n, seed):
    rng = random.Random(seed)
    out = []
    w, h = side, max(1, side * 3 // 4)
    for _ in range(n):
        base = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        px = bytes(
            (base[c] + x * 7 + y * 3 + rng.randrange(64)) & 0xff
            for y in range(h) for x in range(w) for c in range(3))
        buf = io.BytesIO()
        Image.frombytes('RGB', (w, h), px).save(buf, 'JPEG', quality=85)
        out.append(buf.getvalue())
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--classes', type=int, default=1000)
    ap.add_argument('--per-class', type=int, default=1280)
    ap.add_argument('--val', type=int, default=50000)
    ap.add_argument('--side', type=int, default=32)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    pool = jpegs(a.side, 512, a.seed)
    synsets = ['n%08d' % (1000000 + c) for c in range(a.classes)]
    k = 0
    for s in synsets:
        d = os.path.join(a.out, 'train', s)
        os.makedirs(d, exist_ok=True)
        for i in range(a.per_class):
            with open(os.path.join(d, '%s_%d.JPEG' % (s, i)), 'wb') as f:
                f.write(pool[k % len(pool)])
            k += 1
    val = os.path.join(a.out, 'val')
    os.makedirs(val, exist_ok=True)
    rng = random.Random(a.seed + 1)
    with open(os.path.join(a.out, 'LOC_val_solution.csv'), 'w') as csv:
        csv.write('ImageId,PredictionString\n')
        for i in range(1, a.val + 1):
            name = 'ILSVRC2012_val_%08d' % i
            with open(os.path.join(val, name + '.JPEG'), 'wb') as f:
                f.write(pool[(k + i) % len(pool)])
            csv.write('%s,%s 0 0 %d %d\n' % (name, rng.choice(synsets), a.side, a.side))
    print('wrote %s: %d train files in %d classes, %d val files'
          % (a.out, k, a.classes, a.val))


if __name__ == '__main__':
    main()
