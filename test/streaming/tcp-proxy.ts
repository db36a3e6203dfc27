/**
 * A TCP proxy the test controls, put between a worker and Postgres: `close` makes the database
 * unreachable (refusing new connections, cutting open ones), `reopen` brings it back on the same
 * port, and `pause` freezes traffic so a job hangs mid-transaction.
 */
import net from 'node:net';

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private paused = false;
  port = 0;

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  async open(): Promise<void> {
    const server = net.createServer((client) => this.connect(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Stops accepting and cuts every open connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  reopen(): Promise<void> {
    return this.open();
  }

  /** Stops forwarding bytes in both directions (connections stay open). */
  pause(): void {
    this.paused = true;
    for (const s of this.sockets) s.pause();
  }

  resume(): void {
    this.paused = false;
    for (const s of this.sockets) s.resume();
  }

  private connect(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, this.targetHost);
    for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
      this.sockets.add(a);
      if (this.paused) a.pause();
      a.pipe(b);
      // Either side ending ends both: a killed worker's transaction is aborted by Postgres.
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
    }
  }
}
