/**
 * The V8 flags the server runs with: `npm start` passes them (package.json),
 * and the bench and the soak start their servers with them, so what is measured
 * is what runs. A server started without them logs a warning at start.
 *
 * `--max-semi-space-size=64` (MiB; Node 20's default is 16) gives the young
 * generation room for the messages in flight between a PUBLISH and its group
 * commit. At 10,000 readings/s it halved the server's time in the collector and
 * the p99 PUBACK (bench `latency`, bench/README.md "Fifth pass"; again in the
 * fourteenth: 48–201 ms with 16 MiB, 25–850 ms with 32, 25–32 ms with 64). The
 * cost: a burst of connections grows the young generation to its largest,
 * 2 × 64 MiB, and V8 keeps it for a minute or two: 20,000 idle devices take
 * about 100 MiB more (bench `idle`); and start-up with 150,000 devices, all
 * survivors, takes about 0.25 s longer. A node with many idle devices and few
 * readings may run with a smaller value.
 *
 * `--single-threaded-gc`: the collector marks, sweeps and scavenges on the main
 * thread instead of handing parts to background threads. On a server with one
 * core to itself those threads only take turns with the main thread, which then
 * waits for them in the pause. With the server on one core (the bench's
 * placement, and a container limited to one CPU), the p99 PUBACK at 10,000/s
 * fell in 7 alternating runs of 7, by about half; with both cores free to it,
 * no worse; throughput and start-up unchanged (bench/README.md, "Fourteenth
 * pass").
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64', '--single-threaded-gc'];

/**
 * The flags of {@link SERVER_NODE_FLAGS} missing from a process's command line
 * (`process.execArgv`) and NODE_OPTIONS. By name (`_` or `-` alike): another
 * value counts as given, and so does a flag turned off (`--no-single-threaded-gc`).
 */
export function missingNodeFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  // Node takes `--max_semi_space_size` for `--max-semi-space-size` too.
  const nameOf = (flag: string) => flag.split('=')[0]!.replaceAll('_', '-').replace(/^--no-/, '--');
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map(nameOf);
  return SERVER_NODE_FLAGS.filter((flag) => !given.includes(nameOf(flag)));
}
