import { createRequire } from 'node:module';
import { format } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { quietDebugInstalled } from '../../observability/quiet-debug.js';

interface Logger {
  (...args: unknown[]): void;
  enabled: boolean;
  namespace: string;
  extend(namespace: string): Logger;
}
interface DebugModule {
  (namespace: string): Logger;
  enable(namespaces: string): void;
  disable(): string;
  log: (...args: unknown[]) => void;
}

const debug = createRequire(import.meta.url)('debug') as DebugModule;

describe('quiet debug loggers', () => {
  const realLog = debug.log;
  afterEach(() => {
    debug.log = realLog;
    debug.disable();
  });

  it('hands a library a logger that writes nothing when its namespace is off', () => {
    expect(quietDebugInstalled).toBe(true);
    const write = vi.fn();
    debug.log = write;
    const log = debug('sk-test:off');
    log('packet %o', { cmd: 'publish' });
    expect(log.enabled).toBe(false);
    expect(log.namespace).toBe('sk-test:off');
    expect(write).not.toHaveBeenCalled();
    // It is the quiet logger, not debug's own (which would look at the namespaces again): turned on later, it stays off.
    debug.enable('sk-test:off');
    log('after enable');
    expect(write).not.toHaveBeenCalled();
    // A logger created after the call is the real one.
    debug('sk-test:off')('created after enable');
    expect(write).toHaveBeenCalledTimes(1);
  });

  it('still hands out the real logger for a namespace that is on (DEBUG at start)', () => {
    const write = vi.fn();
    debug.log = write;
    debug.enable('sk-test:on*');
    const log = debug('sk-test:on');
    log('parsed %d bytes', 42);
    expect(log.enabled).toBe(true);
    expect(write).toHaveBeenCalledTimes(1);
    expect(format(...write.mock.calls[0]!)).toContain('parsed 42 bytes');
    // A child of a quiet logger is looked up on its own: here it is on.
    debug.disable();
    const parent = debug('sk-test:quiet');
    debug.enable('sk-test:quiet:child');
    parent.extend('child')('from the child');
    expect(write).toHaveBeenCalledTimes(2);
    expect(format(...write.mock.calls[1]!)).toContain('from the child');
  });
});
