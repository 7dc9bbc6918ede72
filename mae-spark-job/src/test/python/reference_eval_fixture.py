#!/usr/bin/python3
"""Weights and evaluation figures of the PyTorch reference (learn_ref.py) on exactly the images of
samples/fmnist, for ReferenceEvalTest. learn_ref.py reads Fashion-MNIST idx files and takes the
first N images; this writes idx files holding only the images samples/fmnist was made from (its
manifest.tsv names each source index, in the same order), shrinks the model so the committed
weights stay small, and runs learn_ref.py's own main for one short epoch. Nothing else changes.

Usage (Debian: python3-torch python3-numpy python3-pil dataset-fashion-mnist):
    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 reference_eval_fixture.py REFERENCE_DIR SAMPLE_DIR OUT_DIR
"""
import gzip
import os
import struct
import sys
import tempfile

import numpy as np

SRC = '/usr/share/datasets/fashion-mnist'
# The shape given to `mae import --set ...` in the test: heads are not in the tensors.
MODEL = dict(embed_dim=64, depth=3, heads=4, dec_dim=32, dec_depth=1, dec_heads=4)


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    ndim = data[3]
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def write_idx(path, arr):
    with gzip.open(path, 'wb') as f:
        f.write(struct.pack('>HBB', 0, 0x08, arr.ndim))
        f.write(struct.pack('>' + 'I' * arr.ndim, *arr.shape))
        f.write(np.ascontiguousarray(arr, dtype=np.uint8).tobytes())


def main():
    ref, sample, out = sys.argv[1:4]
    picks = {'train': [], 't10k': []}
    with open(os.path.join(sample, 'manifest.tsv')) as f:
        next(f)
        for line in f:
            split, _, _, _, src_split, idx = line.rstrip('\n').split('\t')
            picks['train' if src_split == 'train' else 't10k'].append(int(idx))
    tmp = tempfile.mkdtemp()
    for prefix, idx in picks.items():
        for kind in ('images-idx3', 'labels-idx1'):
            name = '%s-%s-ubyte.gz' % (prefix, kind)
            write_idx(os.path.join(tmp, name), read_idx(os.path.join(SRC, name))[idx])
    os.makedirs(out, exist_ok=True)
    sys.path.insert(0, ref)
    import learn_ref
    learn_ref.CFG.update(MODEL)
    sys.argv = ['learn_ref.py', '--src', tmp, '--epochs', '1', '--batch', '64', '--warmup', '0.5',
                '--eval-epochs', '-1', '--ckpt-dir', out,
                '--out-md', os.path.join(out, 'learn_ref_results.md'),
                '--out-json', os.path.join(out, 'learn_ref_results.json'),
                '--out-png', os.path.join(out, 'learn_ref_recon.png')]
    learn_ref.main()


if __name__ == '__main__':
    main()
