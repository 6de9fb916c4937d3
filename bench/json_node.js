// bench/json_node.js - the JSON request/response server of bench/run's
// JSON workload, on Node.js's dgram: bench/json_ludp.lua line for line
// (JSON.parse, the work, JSON.stringify, send).
//
//   node bench/json_node.js PORT        (else $PORT) - binds 127.0.0.1:PORT
'use strict';
const dgram = require('node:dgram');

const port = Number(process.argv[process.argv.length - 1]) || Number(process.env.PORT);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error('usage: node json_node.js PORT');
  process.exit(2);
}

function stats(values) {
  let sum = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw new Error(`values[${i + 1}] is not a number`);
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { count: values.length, sum, min, max, mean: sum / values.length };
}

function answer(msg) {
  let req;
  try { req = JSON.parse(msg); } catch { return { error: 'not a JSON object' }; }
  if (req === null || typeof req !== 'object') return { error: 'not a JSON object' };
  if (req.op !== 'stats' || !Array.isArray(req.values) || req.values.length === 0) {
    return { id: req.id, error: 'unknown request' };
  }
  let res;
  try { res = stats(req.values); } catch (e) { return { id: req.id, error: e.message }; }
  res.id = req.id;
  return res;
}

const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  sock.send(JSON.stringify(answer(msg)), rinfo.port, rinfo.address);
});
sock.on('error', (err) => {
  console.error('json_node:', err.message);
  process.exit(1);
});
process.on('SIGTERM', () => sock.close());
sock.bind(port, '127.0.0.1', () => {
  console.error(`json_node: listening on 127.0.0.1:${port} (node ${process.version})`);
});
