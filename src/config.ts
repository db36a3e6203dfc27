/**
 * All runtime configuration, read from the environment once and validated, so a wrong value stops
 * the program at start with a message that names the variable.
 */
import { z } from 'zod';
import { describeIssues } from './domain/profile.ts';

const EnvSchema = z.object({
  /** A Postgres server; when unset the embedded PGlite database in PGLITE_DIR is used. */
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, { message: 'must start with postgres:// or postgresql://' })
    .optional(),
  PGLITE_DIR: z.string().min(1).default('.data/pglite'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Folder with the data files of ../shared/data (evaluation and training only). */
  CV_DATA_DIR: z.string().optional(),
});
export type Env = z.infer<typeof EnvSchema>;

export function loadEnv(env: NodeJS.ProcessEnv = process.env): Env {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new Error(`invalid environment: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
