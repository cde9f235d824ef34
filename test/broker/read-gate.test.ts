import { describe, expect, it } from 'vitest';
import { ReadGate } from '../../broker/read-gate.js';

/** The gate's hysteresis and bookkeeping; test/faults/store-faults.test.ts has it at work in the broker. */
describe('ReadGate', () => {
  it('closes at the limit, opens at half of it, and wakes each waiting connection once', () => {
    const changes: boolean[] = [];
    const gate = new ReadGate(4, (closed) => changes.push(closed));
    let wakes = 0;
    const wake = () => wakes++;
    for (let i = 0; i < 4; i++) gate.enter();
    expect(gate.isClosed).toBe(true);
    gate.whenOpen(wake);
    gate.whenOpen(wake);
    gate.leave();
    expect(gate.isClosed).toBe(true);
    expect(wakes).toBe(0);
    gate.leave();
    expect(gate.isClosed).toBe(false);
    expect(wakes).toBe(1);
    expect(changes).toEqual([true, false]);
    gate.whenOpen(wake);
    expect(wakes).toBe(2);
  });

  it('forgets a connection that closed while it waited', () => {
    const gate = new ReadGate(1);
    let wakes = 0;
    const wake = () => wakes++;
    gate.enter();
    gate.whenOpen(wake);
    gate.cancel(wake);
    gate.leave();
    expect(wakes).toBe(0);
  });
});
