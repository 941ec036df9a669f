/**
 * rediss:// on the light Redis client, against a real redis-server speaking TLS
 * with a certificate authority made here by openssl. DENO_CERT is read when Deno
 * starts, so each connection runs in a subprocess.
 */
import assert from "node:assert/strict";
import { freePort, skipRedis, untilRedisReady } from "./harness/redis_server.ts";

const opensslMissing = new Deno.Command("openssl", { args: ["version"], stdout: "null" })
  .output().then((o) => !o.success, () => true);
const ignore = skipRedis() || await opensslMissing;

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "null", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** A CA and a certificate for localhost and 127.0.0.1, signed by it, in `dir`. */
async function makeCerts(dir: string): Promise<void> {
  const x = (args: string[]) => run("openssl", args, dir);
  await x(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem"]
    .concat(["-days", "2", "-subj", "/CN=agent-mesh test CA"]));
  await x(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr"]
    .concat(["-subj", "/CN=localhost"]));
  await Deno.writeTextFile(`${dir}/ext.cnf`, "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
  await x(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key"]
    .concat(["-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"]));
}

/** Connects to `url` with the client in a new Deno process; its PING reply or error message. */
async function ping(url: string, caFile?: string): Promise<string> {
  const client = new URL("../lib/store/redis/client.ts", import.meta.url).href;
  const code = `
    import { parseRedisUrl, RedisClient } from "${client}";
    const c = new RedisClient(parseRedisUrl(Deno.args[0]), { connectTimeoutMs: 5000 });
    try {
      await c.connect();
      console.log(await c.call("PING"));
    } catch (e) {
      console.log("error: " + e.message);
    } finally {
      await c.close();
    }`;
  const env: Record<string, string> = caFile ? { DENO_CERT: caFile } : {};
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code, url],
    env,
    clearEnv: !caFile,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim();
}

Deno.test(
  { name: "rediss:// connects through TLS, checking the certificate", ignore },
  async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "agent-mesh-tls-" });
    const port = freePort();
    let child: Deno.ChildProcess | undefined;
    let drained: Promise<void> = Promise.resolve();
    try {
      await makeCerts(dir);
      child = new Deno.Command("timeout", {
        args: [
          "120",
          "redis-server",
          "--port",
          "0",
          "--tls-port",
          String(port),
          "--bind",
          "127.0.0.1",
        ]
          .concat(["--tls-cert-file", "server.pem", "--tls-key-file", "server.key"])
          .concat(["--tls-ca-cert-file", "ca.pem", "--tls-auth-clients", "no"])
          .concat(["--dir", dir, "--save", "", "--appendonly", "no"]),
        cwd: dir,
        stdout: "piped",
        stderr: "null",
      }).spawn();
      ({ drained } = await untilRedisReady(child, "the TLS redis-server"));
      await t.step("with the CA trusted (DENO_CERT), by name and by address", async () => {
        assert.equal(await ping(`rediss://localhost:${port}/0`, `${dir}/ca.pem`), "PONG");
        assert.equal(await ping(`REDISS://127.0.0.1:${port}/0`, `${dir}/ca.pem`), "PONG");
      });
      await t.step("an unknown CA is refused", async () => {
        assert.match(await ping(`rediss://localhost:${port}/0`), /^error: .*certificate/i);
      });
      await t.step("plain redis:// to a TLS port fails", async () => {
        assert.match(await ping(`redis://127.0.0.1:${port}/0`, `${dir}/ca.pem`), /^error: /);
      });
    } finally {
      if (child) {
        child.kill("SIGTERM");
        await child.status;
        await drained;
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
);
