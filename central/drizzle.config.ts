import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate` (inside central/) writes SQL migrations to ./drizzle; they are committed and
// applied at start-up by the db plugin, identically on PostgreSQL and PGlite.
export default defineConfig({
  dialect: 'postgresql',
  schema: ['./src/db/schema.ts', './src/db/hq-schema.ts'],
  out: './drizzle',
});
