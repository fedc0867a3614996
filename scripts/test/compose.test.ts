import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BUILD_ENTRIES } from '../src/build';

type Service = {
  image?: string;
  build?: { context: string; target: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
};
type Compose = { services: Record<string, Service>; volumes: Record<string, unknown> };

const file = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');
// Docker Compose resolves YAML merge keys (<<), so the parser must too.
const compose = parse(file('docker-compose.yml'), { merge: true }) as Compose;
const natsConf = file('deploy/nats/nats-server.conf');
const STORES = ['s1', 's2', 's3'];

describe('docker-compose.yml (parsed, no Docker engine needed)', () => {
  it('runs nats, redis, postgres, central, three store nodes and prometheus, each with a health check', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'central',
      'nats',
      'postgres',
      'prometheus',
      'redis',
      's1',
      's2',
      's3',
    ]);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.healthcheck?.test, `${name} health check`).toBeTruthy();
    }
    expect(compose.services.central?.build?.target).toBe('central');
    for (const id of STORES) expect(compose.services[id]?.build?.target).toBe('store-node');
    expect(file('Dockerfile')).toMatch(/^FROM .* AS central$/m);
    expect(file('Dockerfile')).toMatch(/^FROM .* AS store-node$/m);
  });

  it('builds the bundles in the image and starts each service from the one its build writes', () => {
    const dockerfile = file('Dockerfile');
    expect(dockerfile).toMatch(/^RUN npm run build && npm prune --omit=dev/m);
    expect(file('.dockerignore')).toMatch(/^\*\*\/dist$/m);
    for (const pkg of ['central', 'store-node'] as const) {
      const target = dockerfile.slice(dockerfile.indexOf(`AS ${pkg}\n`));
      const cmd = /^CMD (\[.*\])$/m.exec(target)?.[1];
      expect(JSON.parse(cmd ?? '[]')).toEqual(['node', '--enable-source-maps', `${pkg}/dist/server.js`]);
      expect(BUILD_ENTRIES[pkg]).toContain('src/server.ts');
    }
  });

  it('keeps Postgres, NATS and every store on its own named volume', () => {
    const mounts = (name: string) => compose.services[name]?.volumes ?? [];
    expect(mounts('postgres')).toContain('postgres-data:/var/lib/postgresql/data');
    expect(mounts('nats')).toContain('nats-data:/data');
    const storeVolumes = STORES.map(
      (id) =>
        mounts(id)
          .find((m) => m.endsWith(':/data'))
          ?.split(':')[0],
    );
    expect(storeVolumes).toEqual(['s1-data', 's2-data', 's3-data']);
    for (const id of STORES) expect(compose.services[id]?.environment?.DATA_DIR).toBe('/data');
    expect(Object.keys(compose.volumes).sort()).toEqual([
      'nats-data',
      'postgres-data',
      'prometheus-data',
      's1-data',
      's2-data',
      's3-data',
    ]);
  });

  it('gives Prometheus the alert rules and scrapes central and every store on the ports they listen on', () => {
    const prometheus = compose.services.prometheus;
    expect(prometheus?.volumes).toEqual(
      expect.arrayContaining([
        './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
      ]),
    );
    const config = parse(file('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    const targets = (job: string) =>
      config.scrape_configs.find((c) => c.job_name === job)?.static_configs.flatMap((c) => c.targets);
    // alerts.yml names the central job; the targets must be where compose's services listen.
    expect(file('deploy/prometheus/alerts.yml')).toContain('job="stocksync-central"');
    expect(targets('stocksync-central')).toEqual([`central:${compose.services.central?.environment?.PORT}`]);
    expect(targets('stocksync-store')).toEqual(STORES.map((id) => `${id}:${compose.services[id]?.environment?.PORT}`));
  });

  it('gives NATS the deploy config and every user’s password variable', () => {
    const nats = compose.services.nats;
    expect(nats?.volumes).toContain('./deploy/nats/nats-server.conf:/etc/nats/nats-server.conf:ro');
    expect(nats?.command).toEqual(expect.arrayContaining(['-c', '/etc/nats/nats-server.conf']));
    for (const user of ['central', ...STORES]) {
      const variable = `NATS_${user.toUpperCase()}_PASSWORD`;
      expect(natsConf).toMatch(new RegExp(`user: ${user}, password: \\$${variable}\\b`));
      expect(nats?.environment?.[variable]).toMatch(new RegExp(`^\\$\\{${variable}(:-[A-Za-z0-9_-]+)?\\}$`));
    }
  });

  it('connects each store as its own NATS user with that user’s password, and central as central', () => {
    const nats = compose.services.nats?.environment ?? {};
    const credentials = (service: string) => {
      const url = new URL(compose.services[service]?.environment?.NATS_URL ?? '');
      return { user: url.username, password: decodeURIComponent(url.password), host: `${url.hostname}:${url.port}` };
    };
    for (const id of STORES) {
      const env = compose.services[id]?.environment ?? {};
      const { user, password, host } = credentials(id);
      expect(user, `${id} NATS user`).toBe(env.STORE_ID);
      expect(env.STORE_ID).toBe(id);
      // The very expression NATS resolves for this user (same variable, same default).
      expect(password).toBe(nats[`NATS_${id.toUpperCase()}_PASSWORD`]);
      expect(host).toBe('nats:4222');
    }
    const central = credentials('central');
    expect(central.user).toBe('central');
    expect(central.password).toBe(nats.NATS_CENTRAL_PASSWORD);
  });

  it('wires central to Postgres and Redis and waits for all three to be healthy', () => {
    const central = compose.services.central;
    expect(central?.environment?.DATABASE_URL).toMatch(/^postgres:\/\/postgres:.+@postgres:5432\/stocksync$/);
    expect(central?.environment?.REDIS_URL).toBe('redis://redis:6379');
    expect(central?.environment?.HQ_ADMIN_TOKEN).toBeTruthy();
    expect(central?.environment?.HQ_VIEWER_TOKEN).toBeTruthy();
    for (const dep of ['nats', 'redis', 'postgres']) {
      expect(central?.depends_on?.[dep]?.condition).toBe('service_healthy');
    }
    const ports = STORES.map((id) => compose.services[id]?.environment?.PORT);
    expect(new Set(ports).size).toBe(STORES.length);
  });
});
