/**
 * What every command needs from its environment: validated settings and a logger. The CLI
 * and src/api are the only places that read process.env.
 */
import { readFileSync } from 'node:fs';
import { type Config, parseConfig } from '../shared/config.ts';
import { ConfigError, ConfigErrors } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/logger.ts';

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const config = parseConfig(env);
  const errors = checkFiles(config);
  if (errors.length > 0) throw new ConfigErrors(errors);
  return config;
}

/** Files named by settings must exist and parse now, not at the first batch an hour later. */
function checkFiles(config: Config): ConfigError[] {
  const errors: ConfigError[] = [];
  if (config.genesisFile) {
    const problem = genesisProblem(config.genesisFile);
    if (problem) errors.push(new ConfigError('GENESIS_FILE', problem));
  }
  if (config.signerKekFile) {
    try {
      readFileSync(config.signerKekFile);
    } catch (error) {
      errors.push(
        new ConfigError(
          'SIGNER_KEK_FILE',
          `cannot read ${config.signerKekFile} (${(error as NodeJS.ErrnoException).code})`,
        ),
      );
    }
  }
  return errors;
}

function genesisProblem(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return `cannot read ${file} (${(error as NodeJS.ErrnoException).code})`;
  }
  let json: { config?: { chainId?: unknown }; alloc?: unknown };
  try {
    json = JSON.parse(text);
  } catch {
    return `${file} is not valid JSON`;
  }
  if (!Number.isSafeInteger(json?.config?.chainId) || (json.config?.chainId as number) <= 0) {
    return `${file}: config.chainId must be a positive integer`;
  }
  if (typeof json.alloc !== 'object' || json.alloc === null || Array.isArray(json.alloc)) {
    return `${file}: alloc must be an object of address → account`;
  }
  return undefined;
}

export function commandLogger(config: Config, fd: 1 | 2 = 2): Logger {
  return createLogger({ level: config.logLevel, fd });
}

/** Keeps a server running until SIGINT or SIGTERM, then closes it and exits 0. */
export function closeOnSignal(log: Logger, close: () => Promise<void>): void {
  const stop = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    await close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}
