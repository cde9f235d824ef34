import type { DeviceId, DeviceMessage } from '../contracts/index.js';

/**
 * What the broker needs from the rest of the system. The broker imports no store
 * and no ingest: the composition root (app/) plugs them in here.
 */
export interface BrokerPorts {
  /** Checks a device's credentials; unknown devices are `denied`. */
  authenticateDevice(deviceId: DeviceId, secret: Buffer): Promise<'ok' | 'denied' | 'revoked' | 'site_inactive'>;
  /**
   * Takes a device's message. Resolves once it is durable; the broker sends
   * PUBACK only then. Rejects if it could not be stored: the connection is then
   * closed without PUBACK, and the device sends the message again.
   */
  deliver(message: DeviceMessage): Promise<unknown>;
  /** A device connected or its connection ended. */
  presence(deviceId: DeviceId, online: boolean, at: number): void;
}
