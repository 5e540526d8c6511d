#!/usr/bin/env python3
"""PyTorch's own ONNX export of a pix2pix generator with given weights (for the inference
benchmark against onnxruntime-web: scripts/bench-infer-peers.mjs). Needs torch (Debian's
python3-torch: run with /usr/bin/python3).

Usage: torch-export-onnx.py <manifest.json> <weights.f32> <out.onnx>
manifest: {"config": {num_downs, ngf, input_nc, output_nc, norm}, "size": S,
           "tensors": [[key, [shape in PyTorch layout]], ...]} in the order of weights.f32
           (raw little-endian float32, C order)."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'test', 'support'))
from torch_reference import defaults, make_G  # noqa: E402


def main(manifest, weights, out):
    m = json.load(open(manifest))
    c = defaults(m['config'])
    G = make_G(c)
    flat = np.fromfile(weights, dtype='<f4')
    sd, at = {}, 0
    for key, shape in m['tensors']:
        n = int(np.prod(shape)) if shape else 1
        sd[key] = torch.from_numpy(flat[at:at + n].reshape(shape).copy())
        at += n
    ref = G.state_dict()
    for key, v in ref.items():
        if key not in sd and key.endswith('num_batches_tracked'):
            sd[key] = v
    G.load_state_dict(sd, strict=True)
    G.eval()
    x = torch.zeros(1, c['input_nc'], m['size'], m['size'])
    with torch.no_grad():
        torch.onnx.export(G, x, out, input_names=['input'], output_names=['output'],
                          opset_version=13, do_constant_folding=True)


if __name__ == '__main__':
    main(*sys.argv[1:4])
