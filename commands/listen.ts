import type { Message } from "../lib/mesh/message.ts";
import { defineCommand } from "./_cli/define.ts";
import { arr, nullable, obj } from "./_cli/shape.ts";
import { directLines, groupLine } from "./_show.ts";
import { MESSAGE } from "./_shapes.ts";

/** `agent-mesh listen`: wait for the next DIRECT message. */
export default defineCommand({
  name: "listen",
  summary: "wait for the next DIRECT message (group messages are shown on the way)",
  args: [{ name: "NAME", type: "name", help: "whose inbox to read" }],
  flags: {
    timeout: {
      type: "number",
      value: "SECONDS",
      unit: "seconds",
      min: 0,
      default: 60,
      help: "give up after this long, with a line on stderr (exit 0)",
    },
    stealth: {
      type: "boolean",
      help: "print nothing (still answers pings and takes the message)",
    },
  },
  output: obj({ message: nullable(MESSAGE), group: arr(MESSAGE) }),
  description: "Prints [GROUP X → Y] text for group traffic (Y is * for a broadcast) and\n" +
    "[DIRECT from X] text for the message it returns with; a message's own lines follow\n" +
    'indented behind "  | ". A request shows, under its line, the "reply" command that\n' +
    "answers it. Messages sent while nobody listened wait for the next listen.",
  async run(ctx) {
    const name = ctx.args.NAME;
    const { timeout, stealth } = ctx.flags;
    const quiet = stealth || ctx.json;
    const mesh = await ctx.mesh();
    const lib = await ctx.lib();
    const { appendNotify, renewAndChase, nextDirect } = lib;
    const signal = ctx.signal;
    const group: Message[] = [];
    if (!stealth) ctx.waiting(`up to ${timeout}s for a message to ${name}`);
    // While it waits, `who` shows that something listens for NAME.
    if (timeout > 0) await lib.markListening(mesh, name, "listen", Math.min(timeout, 3600) + 5);
    const delivery = await nextDirect(mesh, name, {
      timeoutMs: timeout * 1000,
      withGroup: true,
      signal,
      reader: { kind: "listen" },
      onGroup: (m) => {
        group.push(m);
        if (!quiet) ctx.print(groupLine(m));
      },
    });
    if (timeout > 0) await lib.unmarkListening(mesh, name, "listen").catch(() => {});
    // Interrupted: a message taken but not shown stays unacknowledged and goes to the next listener.
    if (signal.aborted) return;
    if (!delivery) {
      ctx.emit({ message: null, group });
      if (!stealth) ctx.note(`timeout: no message for ${name} within ${timeout}s`, false);
      await renewAndChase(mesh, name);
      return;
    }
    // Shown first, acknowledged last: a crash in between repeats, never loses.
    if (ctx.json) ctx.emit({ message: delivery.message, group });
    else if (!stealth) {
      const key = delivery.message.reply_to;
      const ask = key ? await lib.askOf(mesh, key.slice(key.lastIndexOf(":") + 1)) : null;
      ctx.print(directLines(delivery.message, name, ask?.state === "done"));
    }
    await appendNotify(mesh, name, delivery.message);
    await delivery.ack();
  },
});
