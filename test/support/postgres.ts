/**
 * A throw-away database on the machine's PostgreSQL (127.0.0.1:5432, user `postgres`,
 * trust authentication) for the Kafka Connect sink tests: created with a unique name,
 * dropped afterwards. Nothing else of that server is changed. Uses the `psql` client.
 */
import { runCommand } from '../../scripts/infra/shared.js';

export const POSTGRES = { host: '127.0.0.1', port: 5432, user: 'postgres', password: '' } as const;

export interface ThrowawayDatabase {
  readonly name: string;
  /** `jdbc:postgresql://127.0.0.1:5432/<name>`. */
  readonly jdbcUrl: string;
  /** Runs `sql` and returns the rows as arrays of column texts (psql -At, `|` separated). */
  query(sql: string): Promise<string[][]>;
  /** Drops the database (closing other sessions first). Idempotent; never rejects. */
  drop(): Promise<void>;
}

const psql = (database: string, sql: string): Promise<string> =>
  runCommand('psql', ['-h', POSTGRES.host, '-p', String(POSTGRES.port), '-U', POSTGRES.user, '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], {
    timeoutMs: 30_000,
  });

/** `name` must be a lower-case identifier (e.g. from `uniqueName`, with `-` turned into `_`). */
export async function createThrowawayDatabase(name: string): Promise<ThrowawayDatabase> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a safe database name: ${name}`);
  await psql('postgres', `CREATE DATABASE ${name}`);
  let dropped = false;
  return {
    name,
    jdbcUrl: `jdbc:postgresql://${POSTGRES.host}:${POSTGRES.port}/${name}`,
    query: async (sql) =>
      (await psql(name, sql))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => line.split('|')),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await psql('postgres', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    },
  };
}
