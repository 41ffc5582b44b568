/**
 * A forward proxy on 127.0.0.1 for tests (and a port where nothing listens), standing in for a self-hosted runner's: it answers CONNECT
 * by opening a tunnel (to loopback hosts only, so that a test never reaches anything else, named
 * directly or through `hosts`) or by
 * refusing it with a status, and it records every CONNECT and every plain request it is sent. It
 * never looks inside a tunnel and logs nothing; a plain request (which would show the proxy its
 * headers, the Datadog keys among them) is recorded and refused, never forwarded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import { type AddressInfo, connect, createServer as createTcpServer, type Socket } from "node:net";

export interface ProxyOptions {
  /** `tunnel`: a CONNECT to a loopback host gets its tunnel (any other host, 502); `refuse`: every CONNECT gets `status`. */
  mode: "tunnel" | "refuse";
  /** The status of a refusal; default 403. 407 comes with a Proxy-Authenticate header. */
  status?: number;
  /**
   * Names the proxy resolves itself, as a proxy's own DNS would: `{ "datadog.test": "127.0.0.1" }`. The
   * action never proxies a loopback host, so a test of the tunnel asks for such a name.
   */
  hosts?: Readonly<Record<string, string>>;
}

export interface ConnectRecord {
  /** The request target: `host:port`. */
  target: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Date.now() when it arrived. */
  at: number;
}

export interface ForwardRecord {
  method: string;
  /** The absolute-form target of a plain proxy request. */
  url: string;
  headers: Record<string, string>;
}

export class TestProxy {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Every CONNECT received, in order. */
  readonly connects: ConnectRecord[] = [];
  /** Every plain (non-CONNECT) request received, in order; each was answered 502. */
  readonly forwarded: ForwardRecord[] = [];

  readonly #server: Server;
  readonly #options: ProxyOptions;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server, port: number, options: ProxyOptions) {
    this.#server = server;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.#options = options;
    server.on("connection", (socket: Socket) => this.#track(socket));
    server.on("connect", (request: IncomingMessage, socket: Socket, head: Buffer) =>
      this.#connect(request, socket, head),
    );
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      this.forwarded.push({ method: request.method ?? "", url: request.url ?? "", headers: flatten(request) });
      request.resume();
      response.writeHead(502, { "content-length": "0", connection: "close" });
      response.end();
    });
  }

  static async start(options: ProxyOptions): Promise<TestProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    return new TestProxy(server, (server.address() as AddressInfo).port, options);
  }

  /** Stops listening and ends every connection and tunnel at once. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    await closed;
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on("close", () => this.#sockets.delete(socket));
    socket.on("error", () => undefined);
  }

  #connect(request: IncomingMessage, client: Socket, head: Buffer): void {
    const target = request.url ?? "";
    this.connects.push({ target, headers: flatten(request), at: Date.now() });
    const { mode, status = 403 } = this.#options;
    if (mode === "refuse") {
      const challenge = status === 407 ? 'proxy-authenticate: Basic realm="test"\r\n' : "";
      client.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n${challenge}content-length: 0\r\n\r\n`);
      return;
    }
    const parsed = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(target);
    const name = parsed?.[1] ?? parsed?.[2] ?? "";
    const host = this.#options.hosts?.[name] ?? name;
    if (!parsed || !isLoopback(host)) {
      client.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
      return;
    }
    let open = false;
    const upstream = connect(Number(parsed[3]), host, () => {
      open = true;
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    this.#track(upstream);
    upstream.on("error", () => {
      // Before the tunnel: the host is not there; after: pass the reset on.
      if (!open) client.end("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
      else client.resetAndDestroy();
    });
    client.on("close", () => upstream.destroy());
  }
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

function flatten(request: IncomingMessage): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

/** A loopback port with nothing listening on it (bound, noted, closed): connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
