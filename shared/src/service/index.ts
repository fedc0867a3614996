export * from './auth';
export * from './config-loader';
export * from './drain-on-close';
export * from './error-handler';
export * from './observability';
export * from './package-dir';
export * from './run-server';
export * from './validator-compiler';
