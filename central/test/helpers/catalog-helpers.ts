import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { natsNames } from '@stocksync/shared';
import type { FastifyInstance } from 'fastify';
import { ADMIN_TOKEN, NATS_URL } from './test-env';

export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** The latest value of a key in a KV bucket (undefined when absent), read on a connection of its own. */
export async function kvValue<T>(bucket: string, key: string, url = NATS_URL): Promise<T | undefined> {
  const nc = await connect({ servers: url });
  try {
    const kv = await new Kvm(nc).open(bucket);
    const entry = await kv.get(key);
    return entry && entry.operation === 'PUT' ? entry.json<T>() : undefined;
  } finally {
    await nc.close();
  }
}

/** Removes a test prefix's catalog and settings buckets from the shared NATS server. */
export async function deleteBuckets(prefix: string, url = NATS_URL): Promise<void> {
  const nc = await connect({ servers: url });
  try {
    const names = natsNames(prefix);
    const kvm = new Kvm(nc);
    for (const bucket of [names.catalogBucket, names.storeSettingsBucket]) {
      await kvm
        .open(bucket)
        .then((kv) => kv.destroy())
        .catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
}

export async function send(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: string | object,
  headers: Record<string, string> = adminHeaders,
) {
  const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body }) });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}
