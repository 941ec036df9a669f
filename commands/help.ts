import { UsageError } from "../lib/errors.ts";
import { type Command, defineCommand } from "./_cli/define.ts";
import { commandHelp, jsonHelp, mainHelp, usageLine } from "./_cli/help.ts";
import { arr, bool, named, obj, str } from "./_cli/shape.ts";
import { describe } from "./_cli/shape.ts";
import { didYouMean } from "./_cli/suggest.ts";
import { COMMAND_NAMES, loadAll, loadCommand } from "./index.ts";

const TOPICS = ["json"];

function info(c: Command) {
  return {
    name: c.name,
    summary: c.summary,
    usage: usageLine(c),
    read_only: c.readOnly,
    json: describe(c.output),
  };
}

/** `agent-mesh help`: the help of the program, a command, or the JSON output. */
export default defineCommand({
  name: "help",
  summary: 'show help for a command, or "json" for what --json prints',
  args: [{ name: "TOPIC", optional: true, help: 'a command, or "json"' }],
  readOnly: true,
  output: obj({
    commands: arr(
      named(
        "CommandInfo",
        obj({ name: str, summary: str, usage: str, read_only: bool, json: str }),
      ),
    ),
  }),
  async run(ctx) {
    const { doc, text } = await helpFor(ctx.args.TOPIC);
    ctx.emit(doc, text);
  },
});

/** The help of `topic` (a command, "json", or everything), as text and as a document. */
export async function helpFor(topic?: string): Promise<{ text: string; doc: unknown }> {
  if (topic !== undefined && !COMMAND_NAMES.includes(topic) && !TOPICS.includes(topic)) {
    throw new UsageError(
      `Unknown command "${topic}"${
        didYouMean(topic, [...COMMAND_NAMES, ...TOPICS]) || ' (see "agent-mesh --help")'
      }`,
    );
  }
  if (topic === undefined || topic === "json") {
    const all = await loadAll();
    return { doc: { commands: all.map(info) }, text: topic ? jsonHelp(all) : mainHelp(all) };
  }
  const cmd = await loadCommand(topic);
  return { doc: { commands: [info(cmd)] }, text: commandHelp(cmd) };
}
