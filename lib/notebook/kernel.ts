/**
 * A Jupyter kernel client in Node: starts the tslab kernel and talks the Jupyter messaging
 * protocol (v5.3, ZeroMQ, HMAC-SHA256 signed) to it, so notebooks execute without Python.
 */
import { ChildProcess, spawn } from "child_process";
import { withHugePages } from "../runtime/huge-pages";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as zmq from "zeromq";

const DELIM = "<IDS|MSG>";

export interface KernelMessage {
  header: { msg_id: string; msg_type: string; session: string; date?: string; version?: string; username?: string };
  parent_header: { msg_id?: string; msg_type?: string };
  metadata: Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- protocol content as sent; fields are checked where read
  content: Record<string, any>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const a = srv.address() as net.AddressInfo;
      srv.close(() => resolve(a.port));
    });
  });
}

export interface KernelOptions {
  /** Working directory of the kernel (the notebook's folder). */
  readonly cwd: string;
  /** Extra environment variables for the kernel process. */
  readonly env?: NodeJS.ProcessEnv;
  /** Seconds to wait for the kernel to answer at start. */
  readonly startTimeoutS?: number;
}

/** A running tslab kernel. */
export class TslabKernel {
  private readonly session = crypto.randomUUID();
  private readonly waiters = new Map<string, (m: KernelMessage) => void>();
  private readonly iopubListeners = new Map<string, (m: KernelMessage) => void>();
  private exited: { code: number | null; signal: string | null } | null = null;
  private stderr = "";

  private constructor(
    private readonly proc: ChildProcess,
    private readonly key: string,
    private readonly shell: zmq.Dealer,
    private readonly control: zmq.Dealer,
    private readonly iopub: zmq.Subscriber,
    private readonly connectionFile: string,
  ) {
    proc.stderr?.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-8000);
    });
    proc.stdout?.on("data", () => undefined);
    proc.on("exit", (code, signal) => {
      this.exited = { code, signal };
    });
    void this.pump(shell);
    void this.pump(control);
    void this.pumpIopub();
  }

  /** Start the kernel and wait until both its shell and iopub channels answer. */
  static async start(opts: KernelOptions): Promise<TslabKernel> {
    const ports = {
      shell: await freePort(),
      iopub: await freePort(),
      stdin: await freePort(),
      control: await freePort(),
      hb: await freePort(),
    };
    const key = crypto.randomBytes(32).toString("hex");
    const conn = {
      transport: "tcp",
      ip: "127.0.0.1",
      shell_port: ports.shell,
      iopub_port: ports.iopub,
      stdin_port: ports.stdin,
      control_port: ports.control,
      hb_port: ports.hb,
      key,
      signature_scheme: "hmac-sha256",
      kernel_name: "tslab",
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "crossbar-lab-kernel-"));
    const connectionFile = path.join(dir, "connection.json");
    fs.writeFileSync(connectionFile, JSON.stringify(conn));
    const tslabBin = require.resolve("tslab/bin/tslab");
    const proc = spawn(process.execPath, [tslabBin, "kernel", "--config-path", connectionFile], {
      cwd: opts.cwd,
      env: withHugePages({ ...process.env, ...(opts.env ?? {}) }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    const shell = new zmq.Dealer({ linger: 0 });
    const control = new zmq.Dealer({ linger: 0 });
    const iopub = new zmq.Subscriber({ linger: 0 });
    shell.connect(`tcp://127.0.0.1:${ports.shell}`);
    control.connect(`tcp://127.0.0.1:${ports.control}`);
    iopub.connect(`tcp://127.0.0.1:${ports.iopub}`);
    iopub.subscribe();
    const k = new TslabKernel(proc, key, shell, control, iopub, connectionFile);
    await k.waitReady((opts.startTimeoutS ?? 60) * 1000);
    return k;
  }

  private sign(parts: string[]): string {
    const h = crypto.createHmac("sha256", this.key);
    for (const p of parts) h.update(p);
    return h.digest("hex");
  }

  private decode(frames: Buffer[]): KernelMessage | null {
    const i = frames.findIndex((f) => f.toString() === DELIM);
    if (i < 0 || frames.length < i + 6) return null;
    const parts = frames.slice(i + 2, i + 6).map((f) => f.toString());
    if (this.sign(parts) !== frames[i + 1].toString()) return null;
    return {
      header: JSON.parse(parts[0]),
      parent_header: JSON.parse(parts[1]),
      metadata: JSON.parse(parts[2]),
      content: JSON.parse(parts[3]),
    };
  }

  private async pump(sock: zmq.Dealer): Promise<void> {
    try {
      for await (const frames of sock) {
        const m = this.decode(frames as Buffer[]);
        const id = m?.parent_header.msg_id;
        if (m && id && this.waiters.has(id)) {
          const w = this.waiters.get(id)!;
          this.waiters.delete(id);
          w(m);
        }
      }
    } catch {
      /* socket closed */
    }
  }

  private async pumpIopub(): Promise<void> {
    try {
      for await (const frames of this.iopub) {
        const m = this.decode(frames as Buffer[]);
        const id = m?.parent_header.msg_id;
        if (m && id) this.iopubListeners.get(id)?.(m);
      }
    } catch {
      /* socket closed */
    }
  }

  private async send(sock: zmq.Dealer, msgType: string, content: Record<string, unknown>): Promise<string> {
    const header = {
      msg_id: crypto.randomUUID(),
      msg_type: msgType,
      session: this.session,
      username: "crossbar-lab",
      date: new Date().toISOString(),
      version: "5.3",
    };
    const parts = [JSON.stringify(header), "{}", "{}", JSON.stringify(content)];
    await sock.send([DELIM, this.sign(parts), ...parts]);
    return header.msg_id;
  }

  private reply(id: string, timeoutMs: number, what: string): Promise<KernelMessage> {
    return new Promise((resolve, reject) => {
      const timer = setInterval(() => {
        if (this.exited) {
          clearInterval(timer);
          this.waiters.delete(id);
          reject(
            new Error(
              `the tslab kernel exited (code ${this.exited.code}, signal ${this.exited.signal}) during ${what}${this.stderr ? `:\n${this.stderr}` : ""}`,
            ),
          );
        }
      }, 200);
      const t = setTimeout(() => {
        clearInterval(timer);
        this.waiters.delete(id);
        reject(new Error(`no answer from the tslab kernel within ${timeoutMs / 1000} s during ${what}`));
      }, timeoutMs);
      this.waiters.set(id, (m) => {
        clearTimeout(t);
        clearInterval(timer);
        resolve(m);
      });
    });
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Ask for kernel_info until the reply and its iopub status both arrive (iopub is a slow joiner).
    while (Date.now() < deadline) {
      if (this.exited)
        throw new Error(
          `the tslab kernel exited at start (code ${this.exited.code})${this.stderr ? `:\n${this.stderr}` : ""}`,
        );
      let sawIopub = false;
      const id = await this.send(this.shell, "kernel_info_request", {});
      this.iopubListeners.set(id, () => {
        sawIopub = true;
      });
      try {
        await this.reply(id, Math.min(5000, Math.max(1, deadline - Date.now())), "start-up");
        const until = Date.now() + 1000;
        while (!sawIopub && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        if (sawIopub) return;
      } catch (e) {
        if (this.exited) throw e;
      } finally {
        this.iopubListeners.delete(id);
      }
    }
    throw new Error(
      `the tslab kernel did not become ready within ${timeoutMs / 1000} s${this.stderr ? `:\n${this.stderr}` : ""}`,
    );
  }

  /**
   * Execute code; `onIopub` receives every iopub message of this request (streams, displays,
   * results, errors). Resolves with the execute_reply content once the kernel is idle again.
   */
  async execute(
    code: string,
    onIopub: (m: KernelMessage) => void,
    timeoutS = 3600,
  ): Promise<{ status: string; execution_count: number | null }> {
    let idle!: () => void;
    const idleP = new Promise<void>((r) => (idle = r));
    const header = { msg_id: crypto.randomUUID() };
    // Register before sending so no message is missed.
    this.iopubListeners.set(header.msg_id, (m) => {
      if (m.header.msg_type === "status" && m.content.execution_state === "idle") idle();
      else if (m.header.msg_type !== "status" && m.header.msg_type !== "execute_input") onIopub(m);
    });
    const content = {
      code,
      silent: false,
      store_history: true,
      user_expressions: {},
      allow_stdin: false,
      stop_on_error: true,
    };
    const h = {
      msg_id: header.msg_id,
      msg_type: "execute_request",
      session: this.session,
      username: "crossbar-lab",
      date: new Date().toISOString(),
      version: "5.3",
    };
    const parts = [JSON.stringify(h), "{}", "{}", JSON.stringify(content)];
    const replyP = this.reply(h.msg_id, timeoutS * 1000, "cell execution");
    await this.shell.send([DELIM, this.sign(parts), ...parts]);
    try {
      const rep = await replyP;
      await Promise.race([idleP, new Promise((r) => setTimeout(r, 5000))]);
      return { status: String(rep.content.status), execution_count: rep.content.execution_count ?? null };
    } finally {
      this.iopubListeners.delete(header.msg_id);
    }
  }

  /** The kernel's recent stderr (start-up problems). */
  kernelStderr(): string {
    return this.stderr;
  }

  /** Ask the kernel to shut down; kill it if it does not exit promptly. Always closes the sockets. */
  async shutdown(): Promise<void> {
    try {
      if (!this.exited) {
        const id = await this.send(this.control, "shutdown_request", { restart: false });
        await this.reply(id, 3000, "shutdown").catch(() => undefined);
        const until = Date.now() + 3000;
        while (!this.exited && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      if (!this.exited) this.proc.kill("SIGKILL");
      this.shell.close();
      this.control.close();
      this.iopub.close();
      fs.rmSync(path.dirname(this.connectionFile), { recursive: true, force: true });
    }
  }
}
