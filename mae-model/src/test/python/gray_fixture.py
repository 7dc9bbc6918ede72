#!/usr/bin/python3
"""make_parity_fixture.py for 1-channel images. The reference script normalizes with the three
ImageNet channel statistics (view(1, 3, 1, 1)); this runs its source with one channel's
statistics (Fashion-MNIST's) and the view generalized, changing nothing else.
Usage: gray_fixture.py REFERENCE_DIR [make_parity_fixture.py arguments...]"""
import os
import sys

ref = sys.argv[1]
sys.path.insert(0, ref)
path = os.path.join(ref, 'make_parity_fixture.py')
src = open(path).read()
for old, new in [('view(1, 3, 1, 1)', 'view(1, -1, 1, 1)'),
                 ('IMAGENET_MEAN = (0.485, 0.456, 0.406)', 'IMAGENET_MEAN = (0.2860,)'),
                 ('IMAGENET_STD = (0.229, 0.224, 0.225)', 'IMAGENET_STD = (0.3530,)')]:
    if old not in src:
        sys.exit('make_parity_fixture.py changed: cannot find %r' % old)
    src = src.replace(old, new)
sys.argv = [path] + sys.argv[2:]
exec(compile(src, path, 'exec'), {'__name__': '__main__', '__file__': path})
