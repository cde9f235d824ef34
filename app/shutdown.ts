/** SIGTERM/SIGINT: stop accepting, flush, close; a second signal exits at once. */
export function installShutdown(close: () => Promise<void>, logger: { info: (msg: string) => void; error: (obj: object, msg: string) => void }): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info(`${signal}: shutting down`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
