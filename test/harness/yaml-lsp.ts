/**
 * A minimal client of yaml-language-server (the server behind VS Code's YAML extension and most
 * editors' YAML support) over its stdio protocol: JSON-RPC messages framed by Content-Length headers.
 * Enough to open a document with a schema and read what an editor would show: completion items and
 * diagnostics. Every wait is bounded.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createRequire } from "node:module";

const SERVER = createRequire(import.meta.url).resolve("yaml-language-server/bin/yaml-language-server");

export interface CompletionItem {
  readonly label: string;
  readonly kind?: number;
  readonly detail?: string;
  readonly documentation?: string | { kind: string; value: string };
  readonly insertText?: string;
}

export interface Diagnostic {
  readonly message: string;
  readonly severity?: number;
  readonly range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

interface Message {
  id?: number;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
}

export class YamlLanguageServer {
  private readonly process: ChildProcessWithoutNullStreams;
  private buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<number, (message: Message) => void>();
  private readonly diagnostics = new Map<string, { version: number | undefined; items: Diagnostic[] }>();
  private readonly diagnosticWaiters: (() => void)[] = [];
  private readonly settings: Record<string, unknown>;
  stderr = "";

  /** `settings`: the `yaml` section of an editor's settings (schemas, customTags...). */
  constructor(settings: Record<string, unknown>) {
    this.settings = settings;
    this.process = spawn(process.execPath, [SERVER, "--stdio"], { stdio: "pipe" });
    this.process.stdout.on("data", (chunk: Buffer) => this.receive(chunk));
    this.process.stderr.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
  }

  async start(rootUri: string): Promise<void> {
    await this.request("initialize", {
      processId: process.pid,
      rootUri,
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        textDocument: {
          completion: { completionItem: { snippetSupport: true, documentationFormat: ["markdown", "plaintext"] } },
          publishDiagnostics: { versionSupport: true },
          hover: { contentFormat: ["markdown", "plaintext"] },
        },
      },
    });
    this.notify("initialized", {});
    this.notify("workspace/didChangeConfiguration", { settings: { yaml: this.settings } });
  }

  open(uri: string, text: string, version = 1): void {
    this.diagnostics.delete(uri);
    this.notify("textDocument/didOpen", { textDocument: { uri, languageId: "yaml", version, text } });
  }

  async completion(uri: string, line: number, character: number): Promise<CompletionItem[]> {
    const result = (await this.request("textDocument/completion", {
      textDocument: { uri },
      position: { line, character },
    })) as { items?: CompletionItem[] } | CompletionItem[] | null;
    return Array.isArray(result) ? result : (result?.items ?? []);
  }

  /** The diagnostics the server publishes for `uri`, waiting at most `timeoutMs` for them. */
  async diagnosticsOf(uri: string, timeoutMs = 15_000): Promise<Diagnostic[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.diagnostics.has(uri)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`yaml-language-server published no diagnostics for ${uri} in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.diagnosticWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.diagnostics.get(uri)?.items ?? [];
  }

  async stop(): Promise<void> {
    try {
      await this.request("shutdown", null, 5_000);
      this.notify("exit", null);
    } finally {
      const exited = new Promise((resolve) => this.process.once("exit", resolve));
      const timer = setTimeout(() => this.process.kill("SIGKILL"), 5_000);
      if (this.process.exitCode === null) await exited;
      clearTimeout(timer);
    }
  }

  private request(method: string, params: unknown, timeoutMs = 20_000): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`yaml-language-server did not answer ${method} in ${timeoutMs} ms. ${this.stderr}`));
      }, timeoutMs);
      this.pending.set(id, (message) => {
        clearTimeout(timer);
        if (message.error) reject(new Error(`${method}: ${message.error.message}`));
        else resolve(message.result);
      });
      this.send({ jsonrpc: "2.0", id, method, params });
    });
  }

  private notify(method: string, params: unknown): void {
    this.send({ jsonrpc: "2.0", method, params });
  }

  private send(message: Record<string, unknown>): void {
    const body = Buffer.from(JSON.stringify(message), "utf8");
    this.process.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.process.stdin.write(body);
  }

  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf("\r\n\r\n");
      if (headerEnd < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString())?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString("utf8");
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.handle(JSON.parse(body) as Message);
    }
  }

  private handle(message: Message): void {
    if (message.method === undefined && message.id !== undefined) {
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
      return;
    }
    if (message.method === "textDocument/publishDiagnostics") {
      const params = message.params as { uri: string; version?: number; diagnostics: Diagnostic[] };
      this.diagnostics.set(params.uri, { version: params.version, items: params.diagnostics });
      for (const wake of this.diagnosticWaiters.splice(0)) wake();
      return;
    }
    if (message.id !== undefined && message.method !== undefined) {
      // Requests from the server: its settings (one answer per item asked), or registrations.
      const result =
        message.method === "workspace/configuration"
          ? ((message.params as { items: { section?: string }[] }).items ?? []).map((item) =>
              item.section === "yaml"
                ? this.settings
                : item.section?.startsWith("yaml.")
                  ? this.settings[item.section.slice(5)]
                  : null,
            )
          : null;
      this.send({ jsonrpc: "2.0", id: message.id, result });
    }
  }
}
