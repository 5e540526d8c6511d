import { create } from 'webgpu';
const gpu = create([]);
const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
console.log('adapter', !!a);
