/**
 * The V8 flags the server runs with: `npm start` passes them (package.json),
 * and the bench and the soak start their servers with them, so what is measured
 * is what runs. A server started without them logs a warning at start.
 *
 * `--max-semi-space-size=64` (MiB; Node 20's default is 16) gives the young
 * generation room for the messages in flight between a PUBLISH and its group
 * commit. At 10,000 readings/s it halved the server's time in the collector and
 * the p99 PUBACK (bench `latency`, bench/README.md "Fifth pass"). The cost: a
 * burst of connections grows the young generation to its largest, 2 × 64 MiB,
 * and V8 keeps it: 20,000 idle devices take about 100 MiB more (bench `idle`);
 * and start-up with 150,000 devices, all survivors, takes about 0.25 s longer.
 * A node with many idle devices and few readings may run with a smaller value.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/**
 * The flags of {@link SERVER_NODE_FLAGS} missing from a process's command line
 * (`process.execArgv`) and NODE_OPTIONS. By name (`_` or `-` alike): another
 * value counts as given.
 */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  // Node takes `--max_semi_space_size` for `--max-semi-space-size` too.
  const nameOf = (flag: string) => flag.split('=')[0]!.replaceAll('_', '-');
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map(nameOf);
  return SERVER_NODE_FLAGS.filter((flag) => !given.includes(nameOf(flag)));
}
