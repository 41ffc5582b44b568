/**
 * A stand-in for the part of GitHub's REST API that the pull-request comment uses, on 127.0.0.1:
 * list an issue's comments (paginated as GitHub does: `per_page` up to 100, `page`, a Link header
 * with next/last), create one, update one. It checks the token as GitHub does (401 without it),
 * records every request with its headers and body, and can be scripted to answer with an error.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface GitHubRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  body: string;
}

export interface StoredComment {
  id: number;
  /** `owner/repo#number` */
  issue: string;
  body: string;
  user: { login: string; type: string };
}

/** An answer for the next request matching `method` (any when omitted), instead of the real handling. */
export interface ScriptedAnswer {
  method?: string;
  status: number;
  body: unknown;
}

/** The token the stand-in accepts, as a runner's GITHUB_TOKEN looks. */
export const GITHUB_TOKEN = "ghs_standin0123456789abcdefghijklmnopqrstu";
/** Who creates the action's comments: the token's identity. */
export const BOT = { login: "github-actions[bot]", type: "Bot" };

export class GitHubStandIn {
  /** `http://127.0.0.1:PORT`: GITHUB_API_URL. */
  readonly url: string;
  readonly requests: GitHubRequest[] = [];
  readonly comments: StoredComment[] = [];
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #script: ScriptedAnswer[] = [];
  #nextId = 1000;

  private constructor(server: Server, url: string) {
    this.#server = server;
    this.url = url;
    server.on("connection", (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
    server.on("request", (request: IncomingMessage, response: ServerResponse) => {
      void this.#receive(request, response);
    });
  }

  static async start(): Promise<GitHubStandIn> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return new GitHubStandIn(server, `http://127.0.0.1:${port}`);
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** A comment written by someone else (or by the bot, with `user`). */
  addComment(issue: string, body: string, user = { login: "octocat", type: "User" }): StoredComment {
    const comment = { id: this.#nextId++, issue, body, user };
    this.comments.push(comment);
    return comment;
  }

  /** The next request (of `method`, if given) gets this answer. */
  answerNext(answer: ScriptedAnswer): void {
    this.#script.push(answer);
  }

  /** Comments of `issue` whose body starts with `prefix`. */
  commentsStartingWith(issue: string, prefix: string): StoredComment[] {
    return this.comments.filter((comment) => comment.issue === issue && comment.body.startsWith(prefix));
  }

  async #receive(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      headers[name] = Array.isArray(value) ? value.join(", ") : (value ?? "");
    }
    const method = request.method ?? "";
    this.requests.push({ method, url: request.url ?? "", headers, body });
    const send = (status: number, data: unknown, extra: Record<string, string> = {}) => {
      response.writeHead(status, { "content-type": "application/json; charset=utf-8", ...extra });
      response.end(JSON.stringify(data));
    };

    const scripted = this.#script.findIndex((answer) => answer.method === undefined || answer.method === method);
    if (scripted >= 0) {
      const [answer] = this.#script.splice(scripted, 1);
      send(answer?.status ?? 500, answer?.body ?? {});
      return;
    }
    if (headers.authorization !== `token ${GITHUB_TOKEN}`) {
      send(401, { message: "Bad credentials", documentation_url: "https://docs.github.com/rest" });
      return;
    }
    const url = new URL(request.url ?? "/", this.url);
    const list = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(url.pathname);
    const one = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (list && method === "GET") {
      const issue = `${list[1]}/${list[2]}#${list[3]}`;
      const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page") ?? 30) || 30));
      const page = Math.max(1, Number(url.searchParams.get("page") ?? 1) || 1);
      const all = this.comments.filter((comment) => comment.issue === issue);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const link = (n: number, rel: string) => {
        const target = new URL(url.pathname, this.url);
        target.searchParams.set("per_page", String(perPage));
        target.searchParams.set("page", String(n));
        return `<${target.href}>; rel="${rel}"`;
      };
      const links = page < last ? [link(page + 1, "next"), link(last, "last")] : [];
      send(
        200,
        all.slice((page - 1) * perPage, page * perPage).map((comment) => this.#shown(comment)),
        links.length > 0 ? { link: links.join(", ") } : {},
      );
      return;
    }
    const json = safeJson(body) as { body?: unknown } | undefined;
    if (list && method === "POST") {
      if (typeof json?.body !== "string") {
        send(422, { message: 'Invalid request.\n\n"body" wasn\'t supplied.' });
        return;
      }
      const comment = this.addComment(`${list[1]}/${list[2]}#${list[3]}`, json.body, BOT);
      send(201, this.#shown(comment));
      return;
    }
    if (one && method === "PATCH") {
      const comment = this.comments.find((candidate) => candidate.id === Number(one[3]));
      if (!comment) {
        send(404, { message: "Not Found" });
        return;
      }
      if (typeof json?.body !== "string") {
        send(422, { message: "Invalid request." });
        return;
      }
      comment.body = json.body;
      send(200, this.#shown(comment));
      return;
    }
    send(404, { message: "Not Found", documentation_url: "https://docs.github.com/rest" });
  }

  #shown(comment: StoredComment): Record<string, unknown> {
    const [repository, number] = comment.issue.split("#");
    return {
      id: comment.id,
      node_id: `IC_${comment.id}`,
      html_url: `https://github.com/${repository}/pull/${number}#issuecomment-${comment.id}`,
      body: comment.body,
      user: comment.user,
      created_at: "2026-12-01T12:00:00Z",
      updated_at: "2026-12-01T12:00:00Z",
    };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
