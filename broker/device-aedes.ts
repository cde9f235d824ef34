import { Aedes, type Client, type PublishPacket } from 'aedes';

type Done = (error?: Error) => void;

/**
 * aedes without routing for what devices publish.
 *
 * A device's PUBLISH is consumed in the `authorizePublish` hook: ingest stores
 * it, and the PUBACK waits for that. aedes would then route it as a broker
 * does: look it up in the subscription trie twice (live subscribers, then
 * offline sessions), store it when retained, and emit `publish`. Nobody can
 * receive it: the subscribe hook lets a device subscribe to its own `commands`
 * topic only, and the hooks let a device publish to its own uplink topics only.
 * That routing was 3–4% of the server's CPU and 8% of its allocations at
 * 10,000 readings/s (bench `latency`, bench/README.md "Fifth pass").
 *
 * So a publish that comes from a client (it passed `authorizePublish`) ends
 * here. Publishes without a client, the server's commands to devices, are
 * routed as before. If a hook ever lets a device publish to a topic that others
 * may subscribe to, this class has to route it.
 */
export class DeviceAedes extends Aedes {
  override publish(packet: PublishPacket, clientOrDone?: Client | Done | null, done?: Done): void {
    if (clientOrDone && typeof clientOrDone !== 'function') {
      done?.();
      return;
    }
    (super.publish as (packet: PublishPacket, client: Client | Done | null | undefined, done?: Done) => void)(packet, clientOrDone, done);
  }
}
