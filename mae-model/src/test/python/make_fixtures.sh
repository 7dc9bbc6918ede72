#!/usr/bin/env bash
# Regenerates the extra parity fixtures under src/test/resources from the reference's
# make_parity_fixture.py (the bundled parity_small is a verbatim copy of the shared one).
# Needs Debian's python3-torch and libopenblas0-pthread; run with the system python.
#   mae-model/src/test/python/make_fixtures.sh [path/to/shared/reference]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ref="${1:-$here/../../../../../shared/reference}"
res="$here/../resources"
# 1 channel, norm-pix off, a mask ratio whose len_keep needs the floor (16 * 0.4 = 6.4 -> 6)
/usr/bin/python3 "$here/gray_fixture.py" "$ref" --out "$res/parity_gray_nonorm" --seed 1 --batch 3 \
  --config '{"img_size":16,"patch":4,"in_chans":1,"embed_dim":32,"depth":1,"heads":2,"dec_dim":16,"dec_depth":1,"dec_heads":2,"mask_ratio":0.6,"norm_pix":false}'
# another patch and image size (24 px, patch 8: L = 9, len_keep = floor(2.25) = 2), 2 decoder blocks
/usr/bin/python3 "$ref/make_parity_fixture.py" --out "$res/parity_p8_img24" --seed 2 --batch 2 \
  --config '{"img_size":24,"patch":8,"in_chans":3,"embed_dim":24,"depth":2,"heads":3,"dec_dim":16,"dec_depth":2,"dec_heads":2,"mask_ratio":0.75,"norm_pix":true}'
