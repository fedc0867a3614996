export * from './error-codes';
export * from './events';
export * from './hash-chain';
export * from './ids';
export * from './nats-names';
export * from './stream-config';
export * from './sync-messages';
export * from './validation';
