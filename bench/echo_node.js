// bench/echo_node.js - the same UDP echo server on Node.js's dgram, written
// the way a Node user writes it (the "node" row of bench/run).
//
//   node bench/echo_node.js PORT        (else $PORT) - binds 127.0.0.1:PORT
'use strict';
const dgram = require('node:dgram');

const port = Number(process.argv[process.argv.length - 1] ?? process.env.PORT) ||
  Number(process.env.PORT);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error('usage: node echo_node.js PORT');
  process.exit(2);
}

const sock = dgram.createSocket('udp4');
sock.on('message', (msg, rinfo) => {
  sock.send(msg, rinfo.port, rinfo.address);
});
sock.on('error', (err) => {
  console.error('echo_node:', err.message);
  process.exit(1);
});
process.on('SIGTERM', () => sock.close());
sock.bind(port, '127.0.0.1', () => {
  console.error(`echo_node: listening on 127.0.0.1:${port} (node ${process.version})`);
});
