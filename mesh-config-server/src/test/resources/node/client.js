// A config-stream client written against the .proto files only, with Node's @grpc/grpc-js.
// Usage: node client.js HOST:PORT PROTO_DIR
// Prints one JSON line per event to stdout. ACKs the first response, NACKs the second,
// ACKs the rest; ends the stream when stdin closes.
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [target, protoDir] = process.argv.slice(2);
const def = protoLoader.loadSync('meshclient/v1/discovery.proto', {
  includeDirs: [protoDir], keepCase: false, longs: String, enums: String, defaults: true,
});
const v1 = grpc.loadPackageDefinition(def).meshclient.v1;
const client = new v1.MeshDiscoveryService(target, grpc.credentials.createInsecure());
const call = client.streamPolicies();
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

let n = 0;
let applied = '';
call.on('data', (resp) => {
  n++;
  out({
    event: 'response',
    n,
    version: resp.versionInfo,
    nonce: resp.nonce,
    resources: resp.resources.map((r) => ({
      name: r.name,
      timeoutSeconds: r.policy && r.policy.timeout ? Number(r.policy.timeout.seconds) : null,
      algorithm: r.policy && r.policy.loadBalancer ? r.policy.loadBalancer.algorithm : null,
      endpoints: r.endpoints.map((e) => e.address),
    })),
  });
  if (n === 2) {
    call.write({ versionInfo: applied, responseNonce: resp.nonce,
      errorDetail: { code: 3, message: 'node client rejects version ' + resp.versionInfo + ' on purpose' } });
  } else {
    applied = resp.versionInfo;
    call.write({ versionInfo: resp.versionInfo, responseNonce: resp.nonce });
  }
});
call.on('error', (e) => out({ event: 'error', code: e.code, details: e.details }));
call.on('end', () => out({ event: 'end' }));

call.write({
  node: { id: 'node-js-1', service: 'js-worker', zone: 'z1', labels: { lang: 'js' }, userAgent: 'grpc-js' },
  resourceNames: ['orders'],
  registration: { address: '127.0.0.1:7777' },
});
out({ event: 'started' });

process.stdin.on('data', () => {});
process.stdin.on('end', () => { call.end(); setTimeout(() => process.exit(0), 200); });
