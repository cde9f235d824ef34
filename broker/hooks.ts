import type { AuthenticateError, Client, PublishPacket, Subscription } from 'aedes';
import { deviceTopic, ID_PATTERN, isUplinkChannel, parseDeviceTopic, type DeviceTopic } from '../contracts/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { BrokerPorts } from './ports.js';
import type { ReadGate } from './read-gate.js';

/** CONNACK return codes, MQTT 3.1.1 §3.2.2.3. */
const IDENTIFIER_REJECTED = 2;
const SERVER_UNAVAILABLE = 3;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function refusal(returnCode: number, message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export interface HookContext {
  ports: BrokerPorts;
  logger: Logger;
  metrics: Metrics;
  maxKeepaliveS: number;
  clock: () => number;
  /** Counts each delivery from hand-over to its answer; sockets stop being read while it is closed. */
  gate: ReadGate;
  /** The live connection of each device; a will from a replaced session is ignored. */
  isCurrent(client: Client): boolean;
  /** Whether the client's address is banned for failed logins across many device ids (it may have connected before the ban). */
  isBanned(client: Client): boolean;
  /** Whether this device id is refused from the client's address for repeated failed logins. */
  isLoginBanned(client: Client, deviceId: string): boolean;
  /** A login with a bad device id or secret: counts against (client address, device id); `''` when no usable id was given. */
  loginFailed(client: Client, deviceId: string): void;
}

/**
 * The aedes hooks: who may connect, publish and subscribe. Each device may only
 * use its own topics; `$SYS` and every other topic are refused.
 */
export function createHooks(ctx: HookContext) {
  const keepalives = new WeakMap<Client, number>();
  // A device publishes to the same few topics: the last one's parse is kept per connection (split, test and object, once).
  const lastTopics = new WeakMap<Client, { topic: string; parsed: DeviceTopic | undefined }>();
  const topicOf = (client: Client, topic: string): DeviceTopic | undefined => {
    const last = lastTopics.get(client);
    if (last?.topic === topic) return last.parsed;
    const parsed = parseDeviceTopic(topic);
    if (last) {
      last.topic = topic;
      last.parsed = parsed;
    } else lastTopics.set(client, { topic, parsed });
    return parsed;
  };

  return {
    preConnect(client: Client, packet: { keepalive?: number }, done: (error: Error | null, ok: boolean) => void) {
      keepalives.set(client, packet.keepalive ?? 0);
      done(null, true);
    },

    authenticate(
      client: Client,
      username: Readonly<string | undefined>,
      password: Readonly<Buffer | undefined>,
      done: (error: AuthenticateError | null, ok: boolean | null) => void,
    ) {
      const refuse = (code: number, reason: string, message: string) => {
        ctx.metrics.authFailures.inc({ reason });
        ctx.logger.warn({ clientId: client.id, username, reason }, 'mqtt connection refused');
        done(refusal(code, message), false);
      };
      if (ctx.isBanned(client)) return refuse(NOT_AUTHORIZED, 'address_banned', 'too many failed logins from this address; try later');
      if (!username || !password || !ID_PATTERN.test(username)) {
        ctx.loginFailed(client, '');
        return refuse(BAD_USERNAME_OR_PASSWORD, 'no_credentials', 'username (device id) and password (device secret) are required');
      }
      if (ctx.isLoginBanned(client, username)) return refuse(NOT_AUTHORIZED, 'login_banned', 'too many failed logins of this device from this address; try later');
      // The client id must be the device id, so a device can only ever take over its own session.
      if (client.id !== username) return refuse(IDENTIFIER_REJECTED, 'client_id_mismatch', 'client id must equal the device id');
      // keepalive 0 would keep a dead TCP connection (and the device's "online" state) forever.
      const keepalive = keepalives.get(client) ?? 0;
      if (keepalive < 1 || keepalive > ctx.maxKeepaliveS) {
        return refuse(NOT_AUTHORIZED, 'keepalive', `keepalive must be 1..${ctx.maxKeepaliveS} s`);
      }
      ctx.ports.authenticateDevice(username, password).then(
        (result) => {
          if (result === 'ok') return done(null, true);
          if (result === 'revoked') return refuse(NOT_AUTHORIZED, 'revoked', 'device revoked');
          if (result === 'site_inactive') return refuse(NOT_AUTHORIZED, 'site_inactive', "device's site is deactivated");
          ctx.loginFailed(client, username);
          refuse(BAD_USERNAME_OR_PASSWORD, 'bad_credentials', 'bad device id or secret');
        },
        (error: unknown) => {
          ctx.logger.error({ err: error, clientId: client.id }, 'device authentication failed');
          refuse(SERVER_UNAVAILABLE, 'unavailable', 'server unavailable');
        },
      );
    },

    authorizePublish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void) {
      if (client === null) {
        // Server-originated publishes (commands) only.
        return done(parseDeviceTopic(packet.topic)?.channel === 'commands' ? null : new Error('server may only publish commands'));
      }
      const topic = topicOf(client, packet.topic);
      // [MQTT-2.3.1-1] A QoS 1 or 2 PUBLISH carries a non-zero packet id; with id 0 its PUBACK could not be matched.
      if (packet.qos > 0 && !packet.messageId) {
        ctx.metrics.connectionsClosed.inc({ reason: 'protocol_violation' });
        return done(new Error('QoS > 0 PUBLISH without a packet identifier'));
      }
      if (!topic || topic.deviceId !== client.id || !isUplinkChannel(topic.channel)) {
        ctx.metrics.aclDenials.inc({ action: 'publish' });
        ctx.logger.warn({ clientId: client.id, topic: packet.topic }, 'publish outside own topics refused; closing connection');
        // MQTT 3.1.1 has no negative PUBACK: refusing closes the connection, nothing is stored.
        return done(new Error(`publish to ${packet.topic} not allowed`));
      }
      if (!ctx.isCurrent(client)) {
        // The last will of a session that a newer connection of the same device replaced.
        return done(new Error('stale session'));
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
      // PUBACK goes out when done() is called, so done() waits until the message is durable.
      const message = { deviceId: client.id, channel: topic.channel, payload, receivedAt: ctx.clock(), dup: packet.dup === true };
      ctx.gate.enter();
      ctx.ports.deliver(message).then(
        () => {
          ctx.gate.leave();
          done(null);
        },
        (error: unknown) => {
          ctx.gate.leave();
          done(error instanceof Error ? error : new Error(String(error)));
        },
      );
    },

    authorizeSubscribe(client: Client, subscription: Subscription, done: (error: Error | null, subscription?: Subscription | null) => void) {
      // [MQTT-1.5.3-2] A string holding U+0000 closes the connection (a refused topic alone would only get SUBACK 0x80).
      if (subscription.topic.includes('\u0000')) {
        ctx.metrics.connectionsClosed.inc({ reason: 'protocol_violation' });
        return done(new Error('U+0000 in a topic filter'));
      }
      if (subscription.topic !== deviceTopic(client.id, 'commands')) {
        ctx.metrics.aclDenials.inc({ action: 'subscribe' });
        ctx.logger.warn({ clientId: client.id, topic: subscription.topic }, 'subscription outside own command topic refused');
        // A null subscription answers SUBACK 0x80 (failure) for this topic [MQTT-3.9.3-1]; the connection stays.
        return done(null, null);
      }
      done(null, { ...subscription, qos: Math.min(subscription.qos, 1) as Subscription['qos'] });
    },

    authorizeForward(client: Client, packet: { topic: string }) {
      // Defence in depth: a device only ever receives its own commands.
      const topic = parseDeviceTopic(packet.topic);
      return topic?.deviceId === client.id && topic.channel === 'commands' ? packet : null;
    },
  };
}
