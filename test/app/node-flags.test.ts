import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { missingNodeFlags, SERVER_NODE_FLAGS } from '../../app/node-flags.js';

describe('the server\'s V8 flags', () => {
  it('are all passed by `npm start`', () => {
    const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    const command = scripts.start!.split('&&').map((part) => part.trim()).find((part) => part.startsWith('node '));
    const args = command!.split(/\s+/).slice(1).filter((arg) => arg.startsWith('--'));
    expect(SERVER_NODE_FLAGS.length).toBeGreaterThan(0);
    expect(missingNodeFlags(args)).toEqual([]);
  });

  it('are reported missing when neither the command line nor NODE_OPTIONS has them', () => {
    expect(missingNodeFlags([])).toEqual(SERVER_NODE_FLAGS);
    expect(missingNodeFlags(['--enable-source-maps'], '--max-old-space-size=4096')).toEqual(SERVER_NODE_FLAGS);
  });

  it('count as given with another value, on the command line or in NODE_OPTIONS', () => {
    const withOtherValues = SERVER_NODE_FLAGS.map((flag) => `${flag.split('=')[0]}=8`);
    expect(missingNodeFlags(withOtherValues)).toEqual([]);
    expect(missingNodeFlags([], ` ${withOtherValues.join('  ')} `)).toEqual([]);
    expect(missingNodeFlags(SERVER_NODE_FLAGS.map((flag) => flag.replaceAll('-', '_').replace(/^__/, '--')))).toEqual([]);
  });

  it('count a flag turned off (`--no-…`) as given: the operator chose', () => {
    const turnedOff = SERVER_NODE_FLAGS.map((flag) => flag.split('=')[0]!.replace(/^--/, '--no-'));
    expect(missingNodeFlags(turnedOff)).toEqual([]);
    expect(missingNodeFlags([], turnedOff.map((flag) => flag.replaceAll('-', '_').replace(/^__/, '--')).join(' '))).toEqual([]);
  });
});
