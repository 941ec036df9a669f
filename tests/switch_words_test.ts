/**
 * One vocabulary of on/off values: an on/off setting in the environment and a
 * switch in the HTTP front's query accept the same words, and refuse the same.
 * Only the empty value differs, by meaning: an empty setting is unset (off), a
 * query switch given without a value (`?group`) is on.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { ConfigError, UsageError } from "../lib/errors.ts";
import { requestBinding } from "../mcp/http/binding.ts";

function setting(word: string): boolean | "refused" {
  try {
    const env: Record<string, string> = {
      AGENT_MESH_HOME: "/tmp/x",
      AGENT_MESH_GATE_ENFORCE: word,
    };
    return loadConfig((k) => env[k]).gateEnforce;
  } catch (err) {
    if (err instanceof ConfigError) return "refused";
    throw err;
  }
}

function querySwitch(word: string): boolean | "refused" {
  const url = new URL(`http://127.0.0.1/mcp?as=bob&group=${encodeURIComponent(word)}`);
  try {
    return requestBinding(new Request(url), url)!.group;
  } catch (err) {
    if (err instanceof UsageError) return "refused";
    throw err;
  }
}

Deno.test("settings and query switches share one vocabulary of on/off words", () => {
  const words = [
    "1",
    "true",
    "yes",
    "on",
    "TRUE",
    "On",
    "0",
    "false",
    "no",
    "off",
    "NO",
    "maybe",
    "2",
  ];
  for (const word of words) {
    assert.equal(querySwitch(word), setting(word), `"${word}"`);
  }
  assert.equal(setting("on"), true);
  assert.equal(setting("off"), false);
  assert.equal(setting("maybe"), "refused");
  assert.equal(setting(""), false, "an empty setting is unset");
  assert.equal(querySwitch(""), true, "?group without a value is on");
});
