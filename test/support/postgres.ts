// A real PostgreSQL server for tests: Debian's `postgresql` package (.ci/run installs it when missing),
// initialised in a fresh temporary folder and started on a free local port, with its unix socket in that
// folder. PostgreSQL refuses to run as root, so when the tests run as root the server runs as the `postgres`
// user (what `runuser -u postgres --` does; spawned with that uid directly, so stop() signals the server
// itself). It THROWS when PostgreSQL cannot start: a test that needs it fails, it never skips.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { freePort } from './bot.ts';

export interface PostgresServer {
  /** The server's `postgres` database (for administration; tests use their own, from createDatabase). */
  readonly url: string;
  /** A fresh, empty database on this server; its URL. */
  createDatabase(): Promise<string>;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** The newest installed PostgreSQL's bin folder. */
function binFolder(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined)
    throw new Error(
      `PostgreSQL is not installed (no ${root}/*/bin/postgres): apt-get install postgresql (.ci/run does).`,
    );
  return join(root, versions[0], 'bin');
}

/** As root: the postgres user's uid and gid, for the server's processes and its folder. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function run(bin: string, args: string[], user: { uid: number; gid: number } | undefined, output: string[]) {
  const child = spawn(bin, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'], LC_ALL: 'C' },
    ...(user ?? {}),
  });
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  return child;
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

async function ready(url: string, server: ChildProcess, output: string[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null)
      throw new Error(`PostgreSQL exited before it answered:\n${output.join('')}`);
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`PostgreSQL did not answer within ${timeoutMs} ms:\n${output.join('')}`, {
          cause: error,
        });
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = binFolder();
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), 'tb-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const output: string[] = [];
  const init = run(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    user,
    output,
  );
  if ((await exitOf(init)) !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed:\n${output.join('')}`);
  }

  let server: ChildProcess | undefined;
  let url = '';
  for (let attempt = 0; attempt < 5 && server === undefined; attempt++) {
    const port = await freePort();
    url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
    output.length = 0;
    const child = run(
      join(bin, 'postgres'),
      [
        ...['-D', data, '-p', String(port), '-k', dir, '-h', '127.0.0.1'],
        // A test database: durability is not the point, speed on a busy machine is.
        ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
        ...['-c', 'shared_buffers=16MB', '-c', 'max_connections=200'],
      ],
      user,
      output,
    );
    try {
      await ready(url, child, output);
      server = child;
    } catch (error) {
      child.kill('SIGQUIT');
      await exitOf(child);
      // Another program took the port between our look and the server's bind: try another one.
      if (!/could not bind|Address already in use/.test(output.join(''))) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  if (server === undefined) throw new Error(`PostgreSQL found no free port:\n${output.join('')}`);
  const running = server;
  // A test process that ends without stop() does not leave the server behind.
  const kill = () => running.kill('SIGQUIT');
  process.once('exit', kill);

  let databases = 0;
  return {
    url,
    async createDatabase() {
      const name = `tb_${++databases}_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return url.replace(/\/postgres$/, `/${name}`);
    },
    async stop() {
      process.removeListener('exit', kill);
      // Fast shutdown: open connections are ended, the server exits.
      running.kill('SIGINT');
      const timer = setTimeout(() => running.kill('SIGQUIT'), 20_000);
      await exitOf(running);
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
