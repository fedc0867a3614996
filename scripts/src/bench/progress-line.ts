/**
 * The "[3/9] section: phase, detail, 14 s" line on stderr. On a terminal it is redrawn in place; elsewhere
 * (CI, a file) a new phase prints at once and the current line repeats every few seconds, so logs stay short.
 */
export class ProgressLine {
  private label = '';
  private phase = '';
  private detail = '';
  private started = 0;
  private lastPrinted = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly tty: boolean;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly plainEveryMs = 10_000,
  ) {
    this.tty = stream.isTTY === true;
  }

  /** Starts a section; the line shows its elapsed time until `end`. */
  begin(label: string): void {
    this.label = label;
    this.phase = '';
    this.detail = '';
    this.started = performance.now();
    this.timer = setInterval(() => this.tick(), this.tty ? 500 : 1_000);
    this.timer.unref();
    this.print();
  }

  setPhase(phase: string): void {
    this.phase = phase;
    this.detail = '';
    this.print();
  }

  setDetail(detail: string): void {
    this.detail = detail;
    if (this.tty) this.draw();
  }

  /** Stops the line and prints `message` as a permanent line. */
  end(message: string): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
    this.stream.write(`${message}\n`);
  }

  private text(): string {
    const elapsed = `${Math.round((performance.now() - this.started) / 1000)} s`;
    return `${this.label}${[this.phase, this.detail, elapsed].filter(Boolean).join(', ')}`;
  }

  private tick(): void {
    if (this.tty) this.draw();
    else if (performance.now() - this.lastPrinted >= this.plainEveryMs) this.print();
  }

  private print(): void {
    this.lastPrinted = performance.now();
    if (this.tty) this.draw();
    else this.stream.write(`${this.text()}\n`);
  }

  private draw(): void {
    const width = this.stream.columns || 120;
    this.stream.write(`\r\x1b[K${this.text().slice(0, width - 1)}`);
  }

  private clear(): void {
    if (this.tty) this.stream.write('\r\x1b[K');
  }
}
