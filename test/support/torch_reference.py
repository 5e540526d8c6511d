#!/usr/bin/env python3
"""A small PyTorch reference of pix2pix for the tests: the module layout and state_dict keys of
the reference implementation (UnetSkipConnectionBlock / NLayerDiscriminator, as in
junyanz/pytorch-CycleGAN-and-pix2pix models/networks.py), its training step
(models/pix2pix_model.py) and its checkpoint patch for PyTorch-0.3 InstanceNorm files.

Commands (arguments are JSON where structured; tensors are raw little-endian float32, C order):
  golden <dir> <config>          writes a golden folder (the format of test/fixtures/golden)
  goldens <dir> {name: config}   one golden folder per entry, under <dir>/<name>
  fidelity <dir> <config>        golden <dir> <config>, plus PyTorch float32's own errors
                                 against it (torch_f32_errors.json)
  wrap <in.pth> <out.pth> <key>  saves {key: state dict of in.pth, 'opt': ..., 'epoch': 1}
  forms <dir> <config>           writes one G (and D) in every form torch.save produces, with
                                 PyTorch's eval outputs for them (forms.json lists them)
  check <pth> <net> <config> <in.f32> <out.f32>
                                 torch.load(weights_only=True) + load_state_dict(strict=True),
                                 then the eval forward of <in.f32> (NCHW) written to <out.f32>
"""
import copy
import functools
import json
import os
import sys

import torch
import torch.nn as nn


class UnetSkipConnectionBlock(nn.Module):
    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False,
                 innermost=False, norm_layer=nn.BatchNorm2d, use_dropout=False):
        super().__init__()
        self.outermost = outermost
        if type(norm_layer) == functools.partial:
            use_bias = norm_layer.func == nn.InstanceNorm2d
        else:
            use_bias = norm_layer == nn.InstanceNorm2d
        if input_nc is None:
            input_nc = outer_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
        downrelu = nn.LeakyReLU(0.2, True)
        downnorm = norm_layer(inner_nc)
        uprelu = nn.ReLU(True)
        upnorm = norm_layer(outer_nc)
        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [downrelu, downconv, uprelu, upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm]
            if use_dropout:
                model += [MaskDropout()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class MaskDropout(nn.Module):
    """nn.Dropout(0.5) whose mask (0 or 2) is set from outside, so the project can be given the
    same masks. Without a mask it records the shape it sees (a dry run) and passes through."""

    def __init__(self):
        super().__init__()
        self.mask = None
        self.seen = None

    def forward(self, x):
        if not self.training:
            return x
        if self.mask is None:
            self.seen = tuple(x.shape)
            return x
        return x * self.mask.to(x.dtype)


class UnetGenerator(nn.Module):
    def __init__(self, input_nc, output_nc, num_downs, ngf=64, norm_layer=nn.BatchNorm2d, use_dropout=False):
        super().__init__()
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=None, norm_layer=norm_layer, innermost=True)
        for _ in range(num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, submodule=block, norm_layer=norm_layer, use_dropout=use_dropout)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, submodule=block, norm_layer=norm_layer)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, submodule=block, norm_layer=norm_layer)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, submodule=block, norm_layer=norm_layer)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=block, outermost=True, norm_layer=norm_layer)

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    def __init__(self, input_nc, ndf=64, n_layers=3, norm_layer=nn.BatchNorm2d):
        super().__init__()
        if type(norm_layer) == functools.partial:
            use_bias = norm_layer.func == nn.InstanceNorm2d
        else:
            use_bias = norm_layer == nn.InstanceNorm2d
        kw, padw = 4, 1
        seq = [nn.Conv2d(input_nc, ndf, kernel_size=kw, stride=2, padding=padw), nn.LeakyReLU(0.2, True)]
        nf_mult = 1
        for n in range(1, n_layers):
            nf_mult_prev, nf_mult = nf_mult, min(2 ** n, 8)
            seq += [nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=2, padding=padw, bias=use_bias),
                    norm_layer(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        nf_mult_prev, nf_mult = nf_mult, min(2 ** n_layers, 8)
        seq += [nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=1, padding=padw, bias=use_bias),
                norm_layer(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        seq += [nn.Conv2d(ndf * nf_mult, 1, kernel_size=kw, stride=1, padding=padw)]
        self.model = nn.Sequential(*seq)

    def forward(self, x):
        return self.model(x)


def norm_layer(kind, legacy_instance=False):
    if kind == 'batch':
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    if kind == 'instance':
        # PyTorch <= 0.3 kept running buffers in every InstanceNorm2d.
        return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=legacy_instance)
    return lambda c: nn.Identity()


def defaults(c):
    c = dict(c)
    c.setdefault('input_nc', 3)
    c.setdefault('output_nc', 3)
    c.setdefault('norm', 'batch')
    c.setdefault('ndf', c.get('ngf', 8))
    c.setdefault('n_layers', 3)
    c.setdefault('batch', 1)
    c.setdefault('steps', 2)
    c.setdefault('seed', 1)
    c.setdefault('gan_mode', 'vanilla')
    c.setdefault('dropout', False)
    c.setdefault('size', 64)
    return c


def make_G(c, legacy_instance=False):
    return UnetGenerator(c['input_nc'], c['output_nc'], c['num_downs'], c['ngf'], norm_layer(c['norm'], legacy_instance), c['dropout'])


def make_D(c):
    return NLayerDiscriminator(c['input_nc'] + c['output_nc'], c['ndf'], c['n_layers'], norm_layer(c['norm']))


def init_weights(net, gen):
    """The reference's init_type 'normal' (gain 0.02), from a seeded generator; biases are drawn
    too (the reference zeroes them) so that parameters whose gradient is exactly zero (a conv bias
    an InstanceNorm cancels) are compared as values, not as round-off of zero."""
    with torch.no_grad():
        for m in net.modules():
            name = m.__class__.__name__
            if hasattr(m, 'weight') and m.weight is not None and ('Conv' in name):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.02)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.02)
            elif 'BatchNorm2d' in name:
                m.weight.copy_(1.0 + torch.randn(m.weight.shape, generator=gen) * 0.02)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.02)


def write_f32(path, t):
    t.detach().to(torch.float32).contiguous().numpy().tofile(path)


def read_f32(path, shape):
    import numpy as np
    return torch.from_numpy(np.fromfile(path, dtype='<f4').reshape(shape).copy())


def gan_loss(pred, real, mode):
    target = torch.full_like(pred, 1.0 if real else 0.0)
    if mode == 'lsgan':
        return nn.functional.mse_loss(pred, target)
    return nn.functional.binary_cross_entropy_with_logits(pred, target)


def dropouts(G):
    return [(k, m) for k, m in G.named_modules() if isinstance(m, MaskDropout)]


def train_steps(G, D, real_A, real_B, c, masks, set_masks):
    """The reference's optimize_parameters, c['steps'] times; returns step 0's gradients (and
    fake_B) by golden name, and the losses of every step."""
    G.train()
    D.train()
    optG = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    optD = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    losses, grads = [], {}
    for step in range(c['steps']):
        set_masks(G, step)
        fake_B = G(real_A)
        if step == 0:
            grads['fake_B_step0'] = fake_B.detach().clone()
        for p in D.parameters():
            p.requires_grad_(True)
        optD.zero_grad()
        fake_AB = torch.cat([real_A, fake_B], 1)
        loss_D_fake = gan_loss(D(fake_AB.detach()), False, c['gan_mode'])
        loss_D_real = gan_loss(D(torch.cat([real_A, real_B], 1)), True, c['gan_mode'])
        ((loss_D_fake + loss_D_real) * 0.5).backward()
        if step == 0:
            for k, p in D.named_parameters():
                grads[f'grad_step0/D/{k}'] = p.grad.clone()
        optD.step()
        for p in D.parameters():
            p.requires_grad_(False)
        optG.zero_grad()
        loss_G_GAN = gan_loss(D(fake_AB), True, c['gan_mode'])
        loss_G_L1 = nn.functional.l1_loss(fake_B, real_B) * 100
        (loss_G_GAN + loss_G_L1).backward()
        if step == 0:
            for k, p in G.named_parameters():
                grads[f'grad_step0/G/{k}'] = p.grad.clone()
        optG.step()
        losses.append({'D_fake': loss_D_fake.item(), 'D_real': loss_D_real.item(), 'G_GAN': loss_G_GAN.item(), 'G_L1': loss_G_L1.item()})
    for p in D.parameters():
        p.requires_grad_(True)
    return grads, losses


def golden(out, c):
    """A golden folder: weights drawn in float32, every computation in float64."""
    c = defaults(c)
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(c['seed'])
    G, D = make_G(c), make_D(c)
    init_weights(G, gen)
    init_weights(D, gen)
    torch.save(G.state_dict(), os.path.join(out, 'G.pth'))
    torch.save(D.state_dict(), os.path.join(out, 'D.pth'))
    G, D = G.double(), D.double()
    n, s = c['batch'], c['size']
    # Different images in the batch (a batch is its images, not copies).
    real_A = (torch.rand((n, c['input_nc'], s, s), generator=gen) * 2 - 1).float().double()
    real_B = (torch.rand((n, c['output_nc'], s, s), generator=gen) * 2 - 1).float().double()
    tensors, files = {}, {}

    def put(name, t):
        f = name.replace('/', '__') + '.f32'
        write_f32(os.path.join(out, f), t)
        tensors[name] = {'shape': list(t.shape), 'file': f, 'dtype': 'float32'}
        files[name] = t

    put('input/real_A', real_A)
    put('input/real_B', real_B)
    masks = []
    if c['dropout']:
        dry = copy.deepcopy(G).train()
        with torch.no_grad():
            dry(real_A)
        for step in range(c['steps']):
            m = {}
            for k, mod in dropouts(dry):
                m[k] = (torch.rand(mod.seen, generator=gen) >= 0.5).double() * 2
                put(f'dropout/step{step}/{k}', m[k])
            masks.append(m)

    def set_masks(net, step):
        for k, mod in dropouts(net):
            mod.mask = masks[step][k] if masks else None

    with torch.no_grad():
        put('forward/G_eval', copy.deepcopy(G).eval()(real_A))
        gt = copy.deepcopy(G).train()  # a copy: train-mode forwards move running statistics
        set_masks(gt, 0)
        put('forward/G_train', gt(real_A))
        put('forward/D_eval_real', copy.deepcopy(D).eval()(torch.cat([real_A, real_B], 1)))
    grads, losses = train_steps(G, D, real_A, real_B, c, masks, set_masks)
    put('forward/fake_B_step0', grads.pop('fake_B_step0'))
    for k, g in grads.items():
        put(k, g)
    for net, m in (('G', G), ('D', D)):
        for k, t in m.state_dict().items():
            if t.is_floating_point():
                put(f'after/{net}/{k}', t)
    cfg = {k: c[k] for k in ('num_downs', 'ngf', 'ndf', 'n_layers', 'norm', 'batch', 'steps', 'seed', 'input_nc', 'output_nc', 'gan_mode', 'dropout')}
    manifest = {
        'config': cfg, 'tensors': tensors, 'losses': losses,
        'G_keys': {k: list(t.shape) for k, t in G.state_dict().items()},
        'D_keys': {k: list(t.shape) for k, t in D.state_dict().items()},
    }
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)


def fidelity(out, c):
    """Writes the float64 golden folder of `c`, then runs the same steps in float32 (PyTorch's own
    float32, the yardstick) and writes its relative L2 error against float64 per tensor
    (step-0 gradients, state after the steps) to torch_f32_errors.json."""
    golden(out, c)
    c = defaults(c)
    with open(os.path.join(out, 'manifest.json')) as f:
        man = json.load(f)
    G, D = make_G(c), make_D(c)
    G.load_state_dict(torch.load(os.path.join(out, 'G.pth'), weights_only=True))
    D.load_state_dict(torch.load(os.path.join(out, 'D.pth'), weights_only=True))
    ref = lambda name: read_f32(os.path.join(out, man['tensors'][name]['file']), man['tensors'][name]['shape']).double()
    real_A, real_B = ref('input/real_A').float(), ref('input/real_B').float()
    grads, _ = train_steps(G, D, real_A, real_B, c, [], lambda net, step: None)
    def rel(a, b):
        a, b = a.double(), b.double()
        return float(((a - b).norm() / b.norm()) if b.norm() > 0 else (a - b).norm())
    errs = {}
    for name, g in grads.items():
        if name.startswith('grad_step0/'):
            errs[name] = rel(g, ref(name))
    for net, m in (('G', G), ('D', D)):
        for k, t in m.state_dict().items():
            if t.is_floating_point():
                errs[f'after/{net}/{k}'] = rel(t, ref(f'after/{net}/{k}'))
    with open(os.path.join(out, 'torch_f32_errors.json'), 'w') as f:
        json.dump(errs, f, indent=1)


def patch_instance_norm_state_dict(state_dict, module, keys, i=0):
    """The reference's BaseModel.__patch_instance_norm_state_dict (PyTorch 0.3 -> 0.4 files)."""
    key = keys[i]
    if i + 1 == len(keys):
        if module.__class__.__name__.startswith('InstanceNorm') and key in ('running_mean', 'running_var'):
            if getattr(module, key) is None:
                state_dict.pop('.'.join(keys))
        if module.__class__.__name__.startswith('InstanceNorm') and key == 'num_batches_tracked':
            state_dict.pop('.'.join(keys))
    else:
        patch_instance_norm_state_dict(state_dict, getattr(module, key), keys, i + 1)


def forms(out, c):
    """One G (and D) saved in every form users meet, with PyTorch's float32 eval outputs."""
    c = defaults(c)
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator().manual_seed(c['seed'])
    G, D = make_G(c).eval(), make_D(c).eval()
    init_weights(G, gen)
    init_weights(D, gen)
    if c['norm'] == 'batch':  # non-trivial running statistics, so eval mode is really tested
        with torch.no_grad():
            for m in list(G.modules()) + list(D.modules()):
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                    m.running_var.copy_(1 + torch.rand(m.running_var.shape, generator=gen))
                    m.num_batches_tracked.fill_(7)
    n, s = 2, c['size']
    x = (torch.rand((n, c['input_nc'], s, s), generator=gen) * 2 - 1)
    y = (torch.rand((n, c['output_nc'], s, s), generator=gen) * 2 - 1)
    write_f32(os.path.join(out, 'input_A.f32'), x)
    write_f32(os.path.join(out, 'input_B.f32'), y)
    listing = {'input_A': list(x.shape), 'input_B': list(y.shape), 'files': {}}

    def save(name, obj, model, net='G', key=None, legacy=False, **extra):
        if legacy:
            torch.save(obj, os.path.join(out, name), _use_new_zipfile_serialization=False)
        else:
            torch.save(obj, os.path.join(out, name))
        with torch.no_grad():
            o = model(x) if net == 'G' else model(torch.cat([x, y], 1))
        write_f32(os.path.join(out, name + '.out.f32'), o)
        listing['files'][name] = {'net': net, 'key': key, 'out_shape': list(o.shape), **extra}

    sdG, sdD = G.state_dict(), D.state_dict()
    save('G_zip.pth', sdG, G)
    save('G_legacy.pth', sdG, G, legacy=True)
    save('D_zip.pth', sdD, D, net='D')
    save('G_dataparallel.pth', nn.DataParallel(G).state_dict(), G)
    save('G_state_dict.pth', {'state_dict': sdG, 'epoch': 3}, G)
    half = {k: (t.half() if t.is_floating_point() else t) for k, t in sdG.items()}
    Gh = make_G(c).eval()
    Gh.load_state_dict({k: t.float() if t.is_floating_point() else t for k, t in half.items()})
    save('G_fp16.pth', half, Gh)
    opt = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    ckpt = {'netG': sdG, 'netD': sdD, 'opt': opt.state_dict(), 'epoch': 5}
    save('run_netG.pth', ckpt, G, key='netG')
    save('run_netD.pth', ckpt, D, net='D', key='netD')
    if c['norm'] == 'instance':
        # A PyTorch-0.3-era instance-norm G: InstanceNorm2d layers with running buffers (0.3 had
        # no num_batches_tracked), in the legacy serialization. PyTorch >= 0.4 loads it after the
        # reference's patch; its output is the output of the plain instance-norm G.
        G03 = make_G(c, legacy_instance=True)
        G03.load_state_dict(sdG, strict=False)
        with torch.no_grad():
            for m in G03.modules():
                if isinstance(m, nn.InstanceNorm2d):
                    m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                    m.running_var.copy_(1 + torch.rand(m.running_var.shape, generator=gen))
        sd03 = {k: t for k, t in G03.state_dict().items() if not k.endswith('num_batches_tracked')}
        patched = dict(sd03)
        for k in list(patched.keys()):
            patch_instance_norm_state_dict(patched, G, k.split('.'))
        G.load_state_dict(patched, strict=True)
        save('G_instance_pytorch03.pth', sd03, G, legacy=True, stale=len(sd03) - len(patched))
    with open(os.path.join(out, 'forms.json'), 'w') as f:
        json.dump(listing, f, indent=1)


def check(pth, net, c, inp, outp):
    c = defaults(c)
    m = (make_G(c) if net == 'G' else make_D(c)).eval()
    sd = torch.load(pth, map_location='cpu', weights_only=True)
    m.load_state_dict(sd, strict=True)
    ch = c['input_nc'] if net == 'G' else c['input_nc'] + c['output_nc']
    x = read_f32(inp, (-1, ch, c['size'], c['size']))
    with torch.no_grad():
        write_f32(outp, m(x))
    print(json.dumps({'keys': len(sd), 'dtypes': sorted({str(t.dtype) for t in sd.values()})}))


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    torch.set_num_threads(1)
    if cmd == 'golden':
        golden(args[0], json.loads(args[1]))
    elif cmd == 'forms':
        forms(args[0], json.loads(args[1]))
    elif cmd == 'goldens':
        for name, cfg in json.loads(args[1]).items():
            golden(os.path.join(args[0], name), cfg)
    elif cmd == 'fidelity':
        fidelity(args[0], json.loads(args[1]))
    elif cmd == 'wrap':
        # {key: <the state dict of args[0]>, 'opt': {...}, 'epoch': 1}: a training script's checkpoint dict.
        sd = torch.load(args[0], map_location='cpu', weights_only=True)
        torch.save({args[2]: sd, 'opt': {'lr': 2e-4, 'step': torch.tensor(3)}, 'epoch': 1}, args[1])
    elif cmd == 'check':
        check(args[0], args[1], json.loads(args[2]), args[3], args[4])
    else:
        sys.exit(f'unknown command {cmd}')
