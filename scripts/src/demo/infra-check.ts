import { createConnection } from 'node:net';

type Endpoint = { name: string; url: string; defaultPort: number; howToStart: string };

/** Host and port of a URL such as nats://user:pass@host:4222 or redis://host:6379. */
function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || defaultPort) };
}

function reachable(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((done) => {
    const socket = createConnection({ host, port });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** The same commands as README.md (Debian). */
const START = {
  nats: [
    'apt-get install -y nats-server',
    'start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server',
  ].join('\n    '),
  redis: [
    'apt-get install -y redis-server',
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no',
  ].join('\n    '),
  postgres: [
    'apt-get install -y postgresql',
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
  ].join('\n    '),
};

/**
 * Checks that every service the chain needs accepts TCP connections. Returns the lines to print
 * for each one that does not (empty when all are up).
 */
export async function missingInfrastructure(opts: {
  natsUrl: string;
  redisUrl: string;
  databaseUrl: string | undefined;
}): Promise<string[]> {
  const endpoints: Endpoint[] = [
    { name: 'NATS (JetStream)', url: opts.natsUrl, defaultPort: 4222, howToStart: START.nats },
    { name: 'Redis', url: opts.redisUrl, defaultPort: 6379, howToStart: START.redis },
  ];
  if (opts.databaseUrl) {
    endpoints.push({ name: 'PostgreSQL', url: opts.databaseUrl, defaultPort: 5432, howToStart: START.postgres });
  }
  const problems: string[] = [];
  for (const endpoint of endpoints) {
    const { host, port } = hostPort(endpoint.url, endpoint.defaultPort);
    if (await reachable(host, port)) continue;
    problems.push(`${endpoint.name} is not reachable at ${host}:${port}. Start it with:\n    ${endpoint.howToStart}`);
  }
  return problems;
}
