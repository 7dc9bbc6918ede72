#!/usr/bin/python3
"""Independent expectations for the photo fixture, computed with Pillow + numpy.

    /usr/bin/python3 make_photo_expectations.py ../resources/photos

For each file in manifest.tsv: Pillow's reading (ImageOps.exif_transpose, convert("RGB"),
resize shorter side to 256 bicubic as torchvision's Resize, CenterCrop 256) summarised as the
mean of each 32x32 block per channel (8 x 8 x 3 values, row-major, channels last), or "reject"
when Pillow refuses the file. Output: expected.tsv next to manifest.tsv.
"""
import csv
import os
import sys

import numpy as np
from PIL import Image, ImageOps

Image.MAX_IMAGE_PIXELS = None
SIZE, BLOCK = 256, 32


def expect(path):
    try:
        with Image.open(path) as im:
            im.load()
            im = ImageOps.exif_transpose(im).convert('RGB')
    except Exception as e:  # noqa: BLE001 - broken on purpose
        return 'reject', 0, 0, type(e).__name__
    w, h = im.size
    if w <= h:
        nw, nh = SIZE, int(SIZE * h / w)
    else:
        nw, nh = int(SIZE * w / h), SIZE
    r = im.resize((nw, nh), Image.BICUBIC)
    top, left = int(round((nh - SIZE) / 2.0)), int(round((nw - SIZE) / 2.0))
    a = np.asarray(r.crop((left, top, left + SIZE, top + SIZE)), dtype=np.float64)
    means = a.reshape(SIZE // BLOCK, BLOCK, SIZE // BLOCK, BLOCK, 3).mean(axis=(1, 3))
    return 'ok', w, h, ' '.join('%.3f' % v for v in means.reshape(-1))


def main():
    root = sys.argv[1]
    rows = list(csv.DictReader(open(os.path.join(root, 'manifest.tsv')), delimiter='\t'))
    with open(os.path.join(root, 'expected.tsv'), 'w') as f:
        f.write('path\tkind\tpil\twidth\theight\tblock_means\n')
        for r in rows:
            res, w, h, data = expect(os.path.join(root, r['path']))
            f.write('%s\t%s\t%s\t%d\t%d\t%s\n' % (r['path'], r['kind'], res, w, h, data))


if __name__ == '__main__':
    main()
