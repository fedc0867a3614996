import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '@stocksync/shared/testing';

/**
 * A TCP relay between one store node and NATS that the chaos run can cut, like a store's WAN line
 * going down: cut() drops every open connection without a goodbye and refuses new ones until heal().
 * Only this store loses NATS; the others and central keep theirs.
 */
export class CuttableProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(upstreamPort: number): Promise<CuttableProxy> {
    const port = await freePort();
    let proxy: CuttableProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, upstreamPort));
    proxy = new CuttableProxy(server, port);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get isCut(): boolean {
    return this.cutOff;
  }

  private accept(client: Socket, upstreamPort: number): void {
    if (this.cutOff) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: '127.0.0.1', port: upstreamPort });
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.setNoDelay(true);
      socket.on('error', () => {});
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.destroy();
  }

  heal(): void {
    this.cutOff = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
