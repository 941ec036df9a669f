/**
 * Wire compatibility with the original Python tool. A raw Redis client plays the
 * original, command for command as WIRE.md describes it, against agent-mesh CLI
 * processes on the same Redis: messages, pings, requests and replies in both
 * directions, and the registry.
 */
import assert from "node:assert/strict";
// deno-lint-ignore no-import-prefix
import { Redis } from "npm:ioredis@5.11.1";
import { runCli, spawnCli } from "./harness/cli.ts";
import { skipRedis, startRedis } from "./harness/redis_server.ts";

const P = "mesh"; // the original's default prefix: compatibility is about the defaults too

/** The original tool, reduced to the Redis commands it sends. */
class Original {
  constructor(readonly redis: Redis) {}

  static ts(): string {
    return String(Date.now() / 1000);
  }
  static nonce(): string {
    return crypto.randomUUID().replaceAll("-", "");
  }

  async send(from: string, to: string, msg: string, priv = false): Promise<string> {
    const id = crypto.randomUUID();
    const fields = ["from", from, "msg", msg, "ts", Original.ts(), "id", id];
    await this.redis.xadd(`${P}:to_${to}`, "MAXLEN", "~", "2000", "*", ...fields);
    if (!priv) await this.redis.xadd(`${P}:group`, "MAXLEN", "~", "2000", "*", ...fields, "to", to);
    return id;
  }

  async ping(from: string, to: string, timeoutMs: number): Promise<string | null> {
    const nonce = Original.nonce();
    await this.redis.xadd(
      `${P}:to_${to}`,
      "MAXLEN",
      "~",
      "2000",
      "*",
      "from",
      from,
      "msg_type",
      "ping",
      "nonce",
      nonce,
      "ts",
      Original.ts(),
    );
    const got = await this.redis.xread("BLOCK", timeoutMs, "STREAMS", `${P}:pong:${nonce}`, "0");
    return got ? fieldsOf(got[0][1][0][1]).from : null;
  }

  async request(
    from: string,
    to: string,
    msg: string,
  ): Promise<{ nonce: string; wait: Promise<Record<string, string> | null> }> {
    const nonce = Original.nonce();
    await this.redis.xadd(
      `${P}:to_${to}`,
      "MAXLEN",
      "~",
      "2000",
      "*",
      "from",
      from,
      "msg",
      msg,
      "reply_to",
      `${P}:reply:${nonce}`,
      "ts",
      Original.ts(),
      "id",
      nonce,
    );
    const reader = this.redis.duplicate();
    const wait = reader.xread("BLOCK", 20_000, "STREAMS", `${P}:reply:${nonce}`, "0")
      .then((got) => (got ? fieldsOf(got[0][1][0][1]) : null))
      .finally(() => reader.disconnect());
    return { nonce, wait };
  }

  /** The original's listen: XREAD the inbox from a cursor; answer pings; return messages. */
  async listen(name: string, cursor: string, timeoutMs: number) {
    const got = await this.redis.xread(
      "COUNT",
      50,
      "BLOCK",
      timeoutMs,
      "STREAMS",
      `${P}:to_${name}`,
      cursor,
    );
    const messages: Array<{ id: string; f: Record<string, string> }> = [];
    let pings = 0;
    for (const [id, raw] of got?.[0][1] ?? []) {
      cursor = id;
      const f = fieldsOf(raw);
      if (f.msg_type === "ping") {
        await this.redis.xadd(`${P}:pong:${f.nonce}`, "*", "from", name, "pong", "1");
        pings++;
      } else messages.push({ id, f });
    }
    return { messages, pings, cursor };
  }
}

function fieldsOf(raw: string[]): Record<string, string> {
  const f: Record<string, string> = {};
  for (let i = 0; i < raw.length; i += 2) f[raw[i]] = raw[i + 1];
  return f;
}

Deno.test({
  name: "redis: agent-mesh and the original tool interoperate both ways on one Redis",
  ignore: skipRedis(),
  async fn(t) {
    await using server = await startRedis();
    const home = await Deno.makeTempDir({ prefix: "agent-mesh-wire-" });
    const env = { AGENT_MESH_REDIS_URL: server.url, AGENT_MESH_HOME: home, AGENT_MESH_PREFIX: "" };
    const redis = new Redis(server.url);
    const py = new Original(redis);
    try {
      await t.step("a message from the original reaches agent-mesh listen", async () => {
        const id = await py.send("pyagent", "tsagent", "hello from python");
        const r = await runCli(env, ["listen", "tsagent", "--json", "--timeout", "10"]);
        assert.equal(r.code, 0, r.stderr);
        const { message } = JSON.parse(r.stdout);
        assert.deepEqual(message, { ...message, from: "pyagent", text: "hello from python", id });
      });

      await t.step(
        "a message from agent-mesh reaches the original's XREAD with its fields",
        async () => {
          const r = await runCli(env, ["send", "pyagent", "hello from deno", "--from", "tsagent"]);
          assert.equal(r.code, 0, r.stderr);
          const [m] = (await py.listen("pyagent", "0", 1000)).messages;
          assert.deepEqual(Object.keys(m.f).sort(), ["from", "id", "msg", "ts"]);
          assert.equal(m.f.from, "tsagent");
          assert.equal(m.f.msg, "hello from deno");
          const [g] = (await redis.xrange(`${P}:group`, "-", "+")).slice(-1);
          assert.equal(fieldsOf(g[1]).to, "pyagent");
          const ttl = await redis.ttl(`${P}:gate:rate:tsagent->pyagent`);
          assert.ok(ttl > 0 && ttl <= 10, `rate counter ttl ${ttl}`);
          assert.equal(await redis.get(`${P}:gate:rate:tsagent->pyagent`), "1");
          const audit = await redis.xrevrange(`${P}:gate:audit`, "+", "-", "COUNT", 1);
          assert.equal(fieldsOf(audit[0][1]).verdict, "allow");
        },
      );

      await t.step("the original's ping is answered by an agent-mesh listener", async () => {
        const listener = spawnCli(env, ["monitor", "tsagent"]);
        try {
          await listener.waitFor(/^monitoring tsagent/);
          assert.equal(await py.ping("pyagent", "tsagent", 10_000), "tsagent");
        } finally {
          await listener[Symbol.asyncDispose]();
        }
      });

      await t.step("agent-mesh ping is answered by the original's listener", async () => {
        const cursor = (await redis.xrevrange(`${P}:to_pyagent`, "+", "-", "COUNT", 1))[0]?.[0] ??
          "0";
        const ping = runCli(env, [
          "ping",
          "pyagent",
          "--from",
          "tsagent",
          "--json",
          "--timeout",
          "10",
        ]);
        let pings = 0;
        const deadline = Date.now() + 10_000;
        for (let cur = cursor; pings === 0 && Date.now() < deadline;) {
          const got = await py.listen("pyagent", cur, 200);
          pings += got.pings;
          cur = got.cursor;
        }
        const r = await ping;
        assert.equal(r.code, 0, r.stderr);
        assert.equal(JSON.parse(r.stdout).from, "pyagent");
      });

      await t.step("the original's request is answered with agent-mesh reply", async () => {
        const { nonce, wait } = await py.request("pyagent", "tsagent", "what time is it?");
        const r = await runCli(env, ["listen", "tsagent", "--timeout", "10"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(
          r.stdout,
          new RegExp(`agent-mesh reply ${P}:reply:${nonce} "YOUR ANSWER" --from tsagent`),
        );
        const ok = await runCli(env, [
          "reply",
          `${P}:reply:${nonce}`,
          "it is noon",
          "--from",
          "tsagent",
        ]);
        assert.equal(ok.code, 0, ok.stderr);
        const reply = await wait;
        assert.deepEqual({ ...reply, ts: undefined }, {
          from: "tsagent",
          reply: "it is noon",
          ts: undefined,
        });
        assert.match(reply!.ts, /^\d+(\.\d+)?$/);
      });

      await t.step("agent-mesh request is answered by the original", async () => {
        const cursor = (await redis.xrevrange(`${P}:to_pyagent`, "+", "-", "COUNT", 1))[0]?.[0] ??
          "0";
        const req = runCli(env, [
          "request",
          "pyagent",
          "2+2?",
          "--from",
          "tsagent",
          "--timeout",
          "10",
        ]);
        let got: Array<{ id: string; f: Record<string, string> }> = [];
        const deadline = Date.now() + 10_000;
        while (got.length === 0 && Date.now() < deadline) {
          got = (await py.listen("pyagent", cursor, 200)).messages;
        }
        assert.equal(got[0].f.msg, "2+2?");
        assert.match(got[0].f.reply_to, new RegExp(`^${P}:reply:[0-9a-f]{32}$`));
        assert.equal(got[0].f.id, got[0].f.reply_to.split(":").pop());
        await redis.xadd(
          got[0].f.reply_to,
          "*",
          "from",
          "pyagent",
          "reply",
          "4",
          "ts",
          Original.ts(),
        );
        const r = await req;
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, "4\n");
      });

      await t.step("registry entries are read both ways", async () => {
        await redis.set(
          `${P}:registry:pyagent`,
          '{"agent": "pyagent", "role": "python side", "pid": 42, "ts": 1795562024.32474}',
          "EX",
          180,
        );
        const r = await runCli(env, ["register", "tsagent", "--role", "deno side"]);
        assert.equal(r.code, 0, r.stderr);
        const who = JSON.parse((await runCli(env, ["who", "--json"])).stdout).agents;
        assert.deepEqual(who.map((a: { agent: string; role: string }) => [a.agent, a.role]), [
          ["pyagent", "python side"],
          ["tsagent", "deno side"],
        ]);
        const raw = JSON.parse((await redis.get(`${P}:registry:tsagent`))!);
        assert.equal(raw.agent, "tsagent");
        assert.equal(typeof raw.pid, "number");
        assert.equal(typeof raw.ts, "number");
        const ttl = await redis.ttl(`${P}:registry:tsagent`);
        assert.ok(ttl > 170 && ttl <= 180, `ttl ${ttl}`);
      });
    } finally {
      redis.disconnect();
      await Deno.remove(home, { recursive: true });
    }
  },
});
