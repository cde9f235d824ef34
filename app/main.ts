import { createLogger } from '../observability/logger.js';
import { InfluxStartupError } from '../store/influx/index.js';
import { ConfigError, loadConfig } from './config.js';
import { startServer } from './server.js';
import { missingNodeFlags } from './node-flags.js';
import { installShutdown } from './shutdown.js';

/** `npm start`: the backend on its embedded defaults. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const server = await startServer(config, { logger });
  logger.info(
    {
      mqtt: server.mqttUrl,
      mqtts: server.addresses.mqtts && `mqtts://${server.addresses.mqtts.address}:${server.addresses.mqtts.port}`,
      http: server.httpUrl,
      dataDir: config.dataDir,
      adminUser: server.bootstrapAdmin?.user,
      adminPasswordFile: server.bootstrapAdmin?.passwordFile,
    },
    'sunshine-kitchen ready',
  );
  const missing = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
  if (missing.length > 0) logger.warn({ missing }, 'node started without the server\'s V8 flags (npm start passes them); the collector will cost more under load');
  installShutdown(server.close, logger);
}

main().catch((error: unknown) => {
  // A store that cannot start says what is wrong in one line; anything else keeps its stack.
  if (error instanceof InfluxStartupError) {
    console.error(`cannot start: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
