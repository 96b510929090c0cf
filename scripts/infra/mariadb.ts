/**
 * A real, throw-away MariaDB server holding the article's `demo.CUSTOMERS` table, run
 * from the machine's Debian `mariadbd` with `--no-defaults` (none of the machine's
 * configuration), its own data directory (made by `mariadb-install-db`), its own port on
 * 127.0.0.1 and its own socket, with the binary log in ROW format for Debezium. The
 * machine's own MariaDB service is never touched. No Docker.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import {
  DEFAULT_STARTUP_TIMEOUT_MS,
  StartupError,
  cacheDir,
  errorMessage,
  exists,
  freePorts,
  makeTempDir,
  projectRoot,
  runCommand,
  startServerProcess,
  waitUntilReady,
  type ServerProcess,
} from './shared.js';

/** The account Debezium connects as (binlog reader). */
export const DEBEZIUM_DB_USER = { user: 'debezium', password: 'dbz' } as const;

/** The account people and the demo generator use: may insert, update and delete customers. */
export const DEMO_DB_USER = { user: 'user', password: 'password' } as const;

/** Options for {@link startMariaDb}; every field is optional. */
export interface MariaDbOptions {
  /** @default '/usr/sbin/mariadbd' */
  readonly mariadbd?: string;
  /** @default 'mariadb-install-db' */
  readonly installDb?: string;
  /** Binlog server id (Debezium's own `database.server.id` must differ). @default 1 */
  readonly serverId?: number;
  /**
   * Account the server runs as when this process is root (mariadbd refuses root):
   * the `mysql` account of the Debian package.
   * @default 'mysql'
   */
  readonly user?: string;
  /** Load the 20 customers of `data/customers.jsonl`. @default true */
  readonly seed?: boolean;
  /** @default 120_000 // 2 minutes */
  readonly startupTimeoutMs?: number;
}

/** A running server. */
export interface MariaDbServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `mysql://user:password@127.0.0.1:<port>/demo`, the `DEMO_DB_URL` of the demo generator. */
  readonly demoUrl: string;
  /** Server version, e.g. `10.11.19-MariaDB-0+deb12u1-log`. */
  readonly version: string;
  /** A new connection as `user` (insert/update/delete on `demo.CUSTOMERS`). Close it yourself. */
  connect(): Promise<Connection>;
  /** Stops the server (SIGTERM, SIGKILL after 15 s) and deletes its data. Idempotent; never rejects. */
  stop(): Promise<void>;
}

/** A customer of `data/customers.jsonl`. */
interface SeedCustomer {
  readonly id: number;
  readonly first_name: string;
  readonly last_name: string;
  readonly email: string;
  readonly gender: string;
  readonly club_status: string;
  readonly comments: string;
  readonly create_ts: string;
  readonly update_ts: string;
}

/** The article's 20 customers, from `data/customers.jsonl`. */
export function seedCustomers(): SeedCustomer[] {
  return readFileSync(join(projectRoot, 'data', 'customers.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SeedCustomer);
}

/** `2018-06-12T11:47:30Z` → `2018-06-12 11:47:30` (the session runs in UTC). */
function sqlTimestamp(iso: string): string {
  return iso.replace('T', ' ').replace(/(\.\d+)?Z$/, '');
}

/** The article's table (its `customers.sql`), in database `demo`. */
const CREATE_TABLE = `CREATE TABLE demo.CUSTOMERS (
  id INT PRIMARY KEY AUTO_INCREMENT,
  first_name VARCHAR(50),
  last_name VARCHAR(50),
  email VARCHAR(50),
  gender VARCHAR(50),
  club_status VARCHAR(8),
  comments VARCHAR(90),
  create_ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  update_ts TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
)`;

async function accountIds(name: string): Promise<{ uid: number; gid: number } | undefined> {
  try {
    return {
      uid: Number((await runCommand('id', ['-u', name])).trim()),
      gid: Number((await runCommand('id', ['-g', name])).trim()),
    };
  } catch {
    return undefined;
  }
}

/**
 * Starts a fresh MariaDB: `mariadb-install-db` into a new temp dir, `mariadbd` on a free
 * port of 127.0.0.1 with `--log-bin --binlog-format=ROW --binlog-row-image=FULL` and UTC as
 * its time zone, then creates `demo.CUSTOMERS` with the article's 20 customers, the
 * Debezium account ({@link DEBEZIUM_DB_USER}: REPLICATION SLAVE, REPLICATION CLIENT,
 * SELECT, RELOAD, SHOW DATABASES, LOCK TABLES) and the demo account ({@link DEMO_DB_USER}).
 * If the port is taken before the server binds it, start-up is retried with a new one.
 *
 * The server is also killed, and its data removed, if this process exits without `stop()`.
 *
 * @throws Error if `mariadbd` is missing, or `StartupError` with the tail of its log;
 *   nothing is left running in that case.
 */
export async function startMariaDb(options: MariaDbOptions = {}): Promise<MariaDbServer> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (!(error instanceof StartupError && error.portWasTaken && attempt < 3)) throw error;
    }
  }
}

async function startOnce(options: MariaDbOptions): Promise<MariaDbServer> {
  const { mariadbd = '/usr/sbin/mariadbd', installDb = 'mariadb-install-db', serverId = 1, user = 'mysql', seed = true, startupTimeoutMs = DEFAULT_STARTUP_TIMEOUT_MS } = options;
  if (!exists(mariadbd)) throw new Error(`MariaDB: ${mariadbd} not found (apt-get install mariadb-server)`);
  const root = await makeTempDir('mariadb');
  let server: ServerProcess | undefined;
  try {
    const [port] = await freePorts(1);
    if (port === undefined) throw new Error('MariaDB: no free port');
    const dataDir = join(root, 'data');
    const socket = join(root, 'mariadb.sock');
    const logFile = join(root, 'server.log');
    await mkdir(dataDir);
    const isRoot = process.getuid?.() === 0;
    const account = isRoot ? await accountIds(user) : undefined;
    if (isRoot && account === undefined) throw new Error(`MariaDB: the account ${user} to run as does not exist`);
    if (account) {
      await chown(root, account.uid, account.gid);
      await chown(dataDir, account.uid, account.gid);
    }
    const userArgs = account ? [`--user=${user}`] : [];
    // A copy of the cached system tables: bootstrapping them takes 5 to 50 s on a busy machine.
    const template = await fetchMariaDbTemplate({ mariadbd, installDb, user, startupTimeoutMs });
    await runCommand('cp', ['-a', `${template}/.`, dataDir]);
    server = await startServerProcess({
      name: 'MariaDB',
      command: mariadbd,
      args: [
        '--no-defaults',
        `--datadir=${dataDir}`,
        `--socket=${socket}`,
        `--pid-file=${join(root, 'mariadb.pid')}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        `--log-bin=${join(dataDir, 'binlog')}`,
        '--binlog-format=ROW',
        '--binlog-row-image=FULL',
        `--server-id=${serverId}`,
        '--default-time-zone=+00:00',
        '--character-set-server=utf8mb4',
        '--innodb-buffer-pool-size=32M',
        '--performance-schema=OFF',
        '--skip-log-error',
        ...userArgs,
      ],
      cwd: root,
      env: process.env,
      logFile,
      cleanupPaths: [root],
    });
    const admin = (): Promise<Connection> => createConnection({ socketPath: socket, user: 'root', timezone: 'Z' });
    const proc = server;
    await waitUntilReady({
      server: proc,
      timeoutMs: startupTimeoutMs,
      isReady: async () => {
        const connection = await admin();
        await connection.end();
        return true;
      },
    });
    const connection = await admin();
    let version: string;
    try {
      version = await setUp(connection, seed);
    } finally {
      await connection.end();
    }
    const demoUrl = `mysql://${DEMO_DB_USER.user}:${DEMO_DB_USER.password}@127.0.0.1:${port}/demo`;
    return {
      host: '127.0.0.1',
      port,
      demoUrl,
      version,
      connect: () => createConnection({ host: '127.0.0.1', port, user: DEMO_DB_USER.user, password: DEMO_DB_USER.password, database: 'demo', timezone: 'Z' }),
      stop: () => proc.stop(),
    };
  } catch (error) {
    if (server) await server.stop(2_000);
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Makes sure `.cache/infra/mariadb-<version>-<account>/` holds an empty data directory with
 * MariaDB's system tables (root without password, reached through the socket), made once
 * by `mariadb-install-db --no-defaults` and copied by every start. Safe to call concurrently.
 *
 * @returns the template data directory (owned by the account the server runs as)
 */
export async function fetchMariaDbTemplate(options: Pick<MariaDbOptions, 'mariadbd' | 'installDb' | 'user' | 'startupTimeoutMs'> = {}): Promise<string> {
  const { mariadbd = '/usr/sbin/mariadbd', installDb = 'mariadb-install-db', user = 'mysql', startupTimeoutMs = DEFAULT_STARTUP_TIMEOUT_MS } = options;
  const versionLine = await runCommand(mariadbd, ['--version']);
  const version = /Ver\s+(\S+)/.exec(versionLine)?.[1] ?? 'unknown';
  const account = process.getuid?.() === 0 ? await accountIds(user) : undefined;
  const template = join(cacheDir, `mariadb-${version}-${account ? user : 'self'}`);
  if (exists(template)) return template;
  await mkdir(cacheDir, { recursive: true });
  const staging = `${template}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(staging);
    if (account) await chown(staging, account.uid, account.gid);
    await runCommand(
      installDb,
      ['--no-defaults', `--datadir=${staging}`, ...(account ? [`--user=${user}`] : []), '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'],
      { timeoutMs: startupTimeoutMs * 2 },
    );
    if (!exists(template)) await rename(staging, template);
  } catch (error) {
    throw new Error(`MariaDB: mariadb-install-db failed: ${errorMessage(error)}`, { cause: error });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return template;
}

/** Creates the schema, the accounts and the seed rows; returns the server version. */
async function setUp(connection: Connection, seed: boolean): Promise<string> {
  await connection.query("SET time_zone = '+00:00'");
  await connection.query('CREATE DATABASE demo');
  await connection.query(CREATE_TABLE);
  if (seed) {
    const rows = seedCustomers().map((c) => [c.id, c.first_name, c.last_name, c.email, c.gender, c.club_status, c.comments, sqlTimestamp(c.create_ts), sqlTimestamp(c.update_ts)]);
    await connection.query('INSERT INTO demo.CUSTOMERS (id, first_name, last_name, email, gender, club_status, comments, create_ts, update_ts) VALUES ?', [rows]);
  }
  const { user: dbz, password: dbzPassword } = DEBEZIUM_DB_USER;
  await connection.query(`CREATE USER '${dbz}'@'%' IDENTIFIED BY '${dbzPassword}'`);
  await connection.query(`GRANT REPLICATION SLAVE, REPLICATION CLIENT, SELECT, RELOAD, SHOW DATABASES, LOCK TABLES ON *.* TO '${dbz}'@'%'`);
  const { user, password } = DEMO_DB_USER;
  await connection.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
  await connection.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON demo.* TO '${user}'@'%'`);
  const [rows] = await connection.query('SELECT VERSION() AS version');
  return String((rows as { version: string }[])[0]?.version ?? 'unknown');
}
