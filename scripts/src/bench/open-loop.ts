/**
 * Open-loop HTTP/1.1 load at a fixed rate, for latency at a given throughput. Request k is due at
 * t0 + k / rate whatever the server is doing, and its latency is counted from that due time, not from
 * when a connection was free to send it (no coordinated omission, as in wrk2). autocannon's `overallRate`
 * is not this: each connection fires its per-second quota back to back at the top of every second, so
 * its "fixed rate" p99 is the p99 of a burst.
 *
 * Requests are prebuilt buffers written to raw keep-alive sockets and responses are parsed just far
 * enough to find their end, so the generator costs little CPU on the machine it measures.
 */
import { connect, type Socket } from 'node:net';

export interface OpenLoopOptions {
  /** Several URLs share the load round-robin (e.g. one per store node). */
  urls: string[];
  method: string;
  headers: Record<string, string>;
  bodies: string[];
  rate: number;
  durationSec: number;
  /** Most sockets per URL; a request due while all are busy waits, and that wait counts as latency. */
  connections: number;
}

export interface OpenLoopRecorder {
  /** Latency from the request's due time to its last response byte, ms. */
  onResponse(statusCode: number, latencyMs: number): void;
  onError(): void;
}

type Due = { at: number; request: Buffer };

/** Where a response ends in `buf`, or -1 while it is incomplete; `status` is its status code. */
export function responseEnd(buf: Buffer): { end: number; status: number } {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return { end: -1, status: 0 };
  const head = buf.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) {
    const end = headEnd + 4 + Number(length[1]);
    return { end: buf.length >= end ? end : -1, status };
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const last = buf.indexOf('\r\n0\r\n\r\n', headEnd);
    return { end: last < 0 ? -1 : last + 7, status };
  }
  return { end: headEnd + 4, status };
}

class Connection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private inFlight: Due | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onDone: (conn: Connection, due: Due, status: number) => void,
    private readonly onFail: (conn: Connection) => void,
  ) {}

  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  send(due: Due): void {
    this.inFlight = due;
    this.open().write(due.request);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private open(): Socket {
    if (this.socket) return this.socket;
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    const fail = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.buffer = Buffer.alloc(0);
      if (this.inFlight) {
        this.inFlight = undefined;
        this.onFail(this);
      }
    };
    socket.on('error', fail);
    socket.on('close', fail);
    this.socket = socket;
    return socket;
  }

  private read(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const { end, status } = responseEnd(this.buffer);
    if (end < 0) return;
    this.buffer = this.buffer.subarray(end);
    const due = this.inFlight;
    this.inFlight = undefined;
    if (due) this.onDone(this, due, status);
  }
}

function buildRequests(o: OpenLoopOptions, url: URL): Buffer[] {
  const path = `${url.pathname}${url.search}`;
  const headers = Object.entries({ host: url.host, connection: 'keep-alive', ...o.headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const bodies = o.bodies.length > 0 ? o.bodies : [''];
  return bodies.map((body) => {
    const length = body === '' ? '' : `content-length: ${Buffer.byteLength(body)}\r\n`;
    return Buffer.from(`${o.method} ${path} HTTP/1.1\r\n${headers}${length}\r\n${body}`);
  });
}

/**
 * Runs the schedule for `durationSec` and waits for the answers still in flight. Returns the number of
 * requests issued (which is rate × duration unless the process itself fell behind).
 */
export async function runOpenLoop(o: OpenLoopOptions, recorder: OpenLoopRecorder): Promise<{ issued: number }> {
  const targets = o.urls.map((raw) => {
    const url = new URL(raw);
    const idle: Connection[] = [];
    const waiting: Due[] = [];
    const onDone = (conn: Connection, due: Due, status: number) => {
      recorder.onResponse(status, performance.now() - due.at);
      dispatch(target, conn);
      pump();
    };
    const onFail = (conn: Connection) => {
      recorder.onError();
      dispatch(target, conn);
    };
    const target = {
      requests: buildRequests(o, url),
      idle,
      waiting,
      conns: Array.from(
        { length: o.connections },
        () => new Connection(url.hostname, Number(url.port || 80), onDone, onFail),
      ),
    };
    idle.push(...target.conns);
    return target;
  });
  type Target = (typeof targets)[number];

  function dispatch(target: Target, conn: Connection): void {
    const next = target.waiting.shift();
    if (next) conn.send(next);
    else target.idle.push(conn);
  }

  const intervalMs = 1000 / o.rate;
  const total = Math.round(o.rate * o.durationSec);
  const started = performance.now();
  let issued = 0;
  // Issues everything due by now; called from a 1 ms timer and after every response, so at high rates
  // requests leave close to their due time instead of in timer-sized clumps.
  function pump(): void {
    const now = performance.now();
    while (issued < total) {
      const at = started + issued * intervalMs;
      if (at > now) break;
      const target = targets[issued % targets.length] as Target;
      const request = target.requests[Math.floor(issued / targets.length) % target.requests.length] as Buffer;
      issued++;
      const due = { at, request };
      const conn = target.idle.pop();
      if (conn) conn.send(due);
      else target.waiting.push(due);
    }
  }

  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      pump();
      if (issued >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  // Let the last answers arrive (bounded: a stuck server must not hang the benchmark).
  const deadline = performance.now() + 30_000;
  const busy = () => targets.some((t) => t.waiting.length > 0 || t.conns.some((c) => c.busy));
  while (busy() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  for (const target of targets) for (const conn of target.conns) conn.close();
  return { issued };
}
