export * from './jetstream-reader';
export * from './nats-server';
