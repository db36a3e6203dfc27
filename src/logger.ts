/** One logger for the process; it writes to stderr so stdout stays clean for `--json` output. */
import { pino } from 'pino';

export const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: undefined }, pino.destination(2));
