export * from './catalog';
export * from './child-reaper';
export * from './jetstream-reader';
export * from './nats-server';
export * from './postgres-server';
export * from './prng';
export * from './redis-server';
export * from './service-process';
