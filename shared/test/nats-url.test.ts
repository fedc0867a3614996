import { describe, expect, it } from 'vitest';
import { natsConnectOptions } from '../src/nats-url';

describe('natsConnectOptions', () => {
  it('splits credentials out of NATS_URL and keeps servers free of them', () => {
    expect(natsConnectOptions('nats://127.0.0.1:4222')).toEqual({ servers: ['nats://127.0.0.1:4222'] });
    expect(natsConnectOptions('nats://s1:p%40ss@10.0.0.1:4222, nats://s1:p%40ss@10.0.0.2:4222')).toEqual({
      servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'],
      user: 's1',
      pass: 'p@ss',
    });
    expect(natsConnectOptions('central:secret@localhost:4222')).toEqual({
      servers: ['localhost:4222'],
      user: 'central',
      pass: 'secret',
    });
  });
});
