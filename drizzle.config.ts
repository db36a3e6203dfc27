import { defineConfig } from 'drizzle-kit';

// Only `npm run db:generate` uses this file; the app migrates itself with `cv-pipeline migrate`.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/store/schema.ts',
  out: './migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/cv' },
});
