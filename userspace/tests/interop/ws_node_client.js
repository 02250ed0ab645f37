// SPDX-License-Identifier: GPL-2.0
// Node's ws as a client of our ws_server: echo of several sizes, a
// fragmented message, a ping and a close code.
const WebSocket = require('ws');
const port = process.argv[2];
const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, ['echo'],
                         { maxPayload: 0, perMessageDeflate: false });
const sizes = [0, 125, 126, 65535, 65536, 16 << 20];
const queue = [];
for (const n of sizes) {
  queue.push({ data: Buffer.alloc(n, 'a').toString(), binary: false });
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31) & 255;
  queue.push({ data: b, binary: true });
}
function fail(msg) { console.log('FAIL ' + msg); process.exit(1); }
setTimeout(() => fail('timeout'), 60000).unref();
let step = 0, expect = null;
function next() {
  if (step < queue.length) {
    expect = queue[step++];
    ws.send(expect.data, { binary: expect.binary });
  } else if (step === queue.length) {
    step++;
    expect = { data: 'fragmented', binary: false };
    ws.send('frag', { fin: false });
    ws.send('men', { fin: false });
    ws.send('ted', { fin: true });
  } else if (step === queue.length + 1) {
    step++;
    ws.ping(Buffer.from('png'));
  }
}
ws.on('open', () => { if (ws.protocol !== 'echo') fail('protocol'); next(); });
ws.on('message', (data, isBinary) => {
  const want = expect.binary ? expect.data : Buffer.from(expect.data);
  if (isBinary !== expect.binary || !Buffer.from(data).equals(want))
    fail(`echo mismatch at step ${step}`);
  next();
});
ws.on('pong', (d) => {
  if (d.toString() !== 'png') fail('pong payload');
  ws.close(4002, 'done');
});
ws.on('close', (code) => {
  if (code !== 4002) fail('close code ' + code);
  console.log('ok');
  process.exit(0);
});
ws.on('error', (e) => fail(String(e)));
