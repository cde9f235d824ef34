/**
 * Bench child for the Mosquitto baseline: ONE subscriber on every device's
 * telemetry topic at QoS 1, counting what Mosquitto delivers. It plays the part
 * our ingest plays in sunshine-kitchen (the consumer of the readings), so it runs
 * on the broker's core. A lean client (wire-client.ts), like the load
 * generator's: one mqtt.js subscriber took a fifth of what Mosquitto passed it.
 */
import { TOPIC_ROOT } from '../contracts/index.js';
import { sampleProcess, sendToParent, type SubscriberMessage, type SubscriberRequest } from './protocol.js';
import { WireClient } from './wire-client.js';

const send = (m: SubscriberMessage) => sendToParent(m);

const url = process.argv[2];
if (!url) {
  console.error('usage: subscriber-process.js <mqtt url>');
  process.exit(2);
}

let received = 0;
// A wildcard filter: contracts/topics.ts builds device topics only, and `+` is no device id.
const filter = `${TOPIC_ROOT}/+/telemetry`;
let client: WireClient | undefined;
WireClient.connect(url, { clientId: 'bench-subscriber', keepaliveS: 60, connectTimeoutMs: 30_000 })
  .then(async (connected) => {
    client = connected;
    client.onMessage = () => {
      received++;
    };
    client.onClose = () => fail('subscriber: connection closed');
    await client.subscribe(filter, 1);
    send({ type: 'ready' });
  })
  .catch((error: unknown) => fail(`subscriber: ${error instanceof Error ? error.message : String(error)}`));

function fail(message: string): never {
  if (process.connected) send({ type: 'fatal', message });
  process.exit(1);
}

function shutdown(code: number): void {
  if (client) client.onClose = () => undefined;
  void (client?.end() ?? Promise.resolve()).then(() => {
    if (process.connected) send({ type: 'closed' });
    process.exit(code);
  });
  setTimeout(() => process.exit(code), 2_000).unref();
}

process.on('disconnect', () => shutdown(1));
process.on('message', (raw) => {
  const msg = raw as SubscriberRequest;
  if (msg.type === 'count') send({ type: 'count', received, sample: sampleProcess() });
  else if (msg.type === 'close') shutdown(0);
});
