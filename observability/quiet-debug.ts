import { createRequire } from 'node:module';

/**
 * Makes the `debug` loggers of our libraries free when they are off.
 *
 * aedes, mqtt-packet, engine.io and socket.io log through `debug`, and a logger
 * that is off still costs its call: `function debug(...args)` builds the rest
 * array before it looks at `enabled`. mqtt-packet's parser calls its logger at
 * every step of every packet, so these arrays were 8 % of everything the server
 * allocated at 6,000 readings/s, more than any other single site (bench/README.md,
 * "Eleventh pass").
 *
 * Importing this module, before those libraries load, hands every logger whose
 * namespace is off when it is created a function that ignores its arguments.
 * `DEBUG=aedes*,mqtt-packet:*` at start still gets the real loggers for those
 * namespaces. What this gives up: turning a namespace on later, with
 * `debug.enable()` at run time, reaches only loggers created after the call.
 */
interface Debugger {
  (...args: unknown[]): void;
  enabled: boolean;
  namespace: string;
  log: (...args: unknown[]) => void;
  extend(namespace: string, delimiter?: string): Debugger;
  destroy(): boolean;
}

interface CreateDebug {
  (namespace: string): Debugger;
  enabled(namespace: string): boolean;
}

const require = createRequire(import.meta.url);
const path = require.resolve('debug');
const createDebug = require('debug') as CreateDebug;

function loggerFor(namespace: string): Debugger {
  if (createDebug.enabled(namespace)) return createDebug(namespace);
  // No parameters: a call with arguments allocates nothing.
  const off = (() => undefined) as unknown as Debugger;
  off.enabled = false;
  off.namespace = namespace;
  off.log = () => undefined;
  off.extend = (sub, delimiter = ':') => loggerFor(`${namespace}${delimiter}${sub}`);
  off.destroy = () => false;
  return off;
}

const loaded = require.cache[path];
if (loaded && loaded.exports === createDebug) {
  // Every other property (enable, disable, formatters, ...) is the real module's.
  loaded.exports = new Proxy(createDebug, { apply: (_target, _this, args: unknown[]) => loggerFor(String(args[0])) });
}

/** Whether `require('debug')` now hands out free loggers for namespaces that are off (it does unless something replaced the module first). */
export const quietDebugInstalled = require('debug') !== createDebug;
