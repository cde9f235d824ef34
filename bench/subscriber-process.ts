/**
 * Bench child for the Mosquitto baseline: ONE mqtt.js subscriber on every
 * device's telemetry topic at QoS 1, counting what Mosquitto delivers. It plays
 * the part our ingest plays in sunshine-kitchen (the consumer of the readings),
 * so it runs on the broker's core.
 */
import mqtt from 'mqtt';
import { TOPIC_ROOT } from '../contracts/index.js';
import { sampleProcess, sendToParent, type SubscriberMessage, type SubscriberRequest } from './protocol.js';

const send = (m: SubscriberMessage) => sendToParent(m);

const url = process.argv[2];
if (!url) {
  console.error('usage: subscriber-process.js <mqtt url>');
  process.exit(2);
}

let received = 0;
// A wildcard filter: contracts/topics.ts builds device topics only, and `+` is no device id.
const filter = `${TOPIC_ROOT}/+/telemetry`;
const client = mqtt.connect(url, { clientId: 'bench-subscriber', keepalive: 60, clean: true, reconnectPeriod: 0, protocolVersion: 4 });
client.on('message', () => {
  received++;
});
client.once('connect', () => {
  (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  client.subscribe(filter, { qos: 1 }, (error) => {
    if (error) fail(`subscribe failed: ${error.message}`);
    else send({ type: 'ready' });
  });
});
client.on('error', (error) => fail(`subscriber: ${error.message}`));

function fail(message: string): never {
  if (process.connected) send({ type: 'fatal', message });
  process.exit(1);
}

function shutdown(code: number): void {
  client.end(true, {}, () => {
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
