// The README's quick start. Run: npm run build && node examples/quick-start.mjs
import { createPix2Pix } from '../dist/index.node.js';

const p2p = await createPix2Pix({ generator: { numDowns: 6, ngf: 8 }, discriminator: { ndf: 8 } });
console.log(p2p.backendInfo.name, '-', p2p.backendInfo.reason);

const a = { data: new Uint8ClampedArray(64 * 64 * 4).fill(30), width: 64, height: 64 };
const b = { data: new Uint8ClampedArray(64 * 64 * 4).fill(220), width: 64, height: 64 };
console.log(await p2p.trainStep(a, b));

const out = await p2p.translate({
  data: new Uint8ClampedArray(100 * 70 * 4),
  width: 100,
  height: 70,
});
console.log(out.width, out.height);

const pth = await p2p.exportPth('G');
console.log('exported', pth.length, 'bytes of .pth');
await p2p.dispose();
