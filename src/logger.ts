/**
 * One logger for the process; it writes to stderr so stdout stays clean for `--json` output. Its
 * level is the entry point's to set (LOG_LEVEL, config.ts logLevel); modules only log.
 */
import { pino } from 'pino';

export const logger = pino({ level: 'info', base: undefined }, pino.destination(2));
