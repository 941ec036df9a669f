/**
 * Reads back the hook commands setup writes (`VAR=value exec PROGRAM ARGS…`,
 * words quoted for a POSIX shell): enough of the shell's quoting to split them.
 */

/** The words of `command`: single and double quotes and backslashes undone. */
export function shellWords(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let i = 0;
  while (i < command.length) {
    const c = command[i];
    if (c === "'") {
      const end = command.indexOf("'", i + 1);
      const stop = end < 0 ? command.length : end;
      word += command.slice(i + 1, stop);
      inWord = true;
      i = stop + 1;
    } else if (c === '"') {
      i++;
      while (i < command.length && command[i] !== '"') {
        if (command[i] === "\\" && i + 1 < command.length && '"\\$`'.includes(command[i + 1])) i++;
        word += command[i++];
      }
      inWord = true;
      i++;
    } else if (c === "\\" && i + 1 < command.length) {
      word += command[i + 1];
      inWord = true;
      i += 2;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
      i++;
    } else {
      word += c;
      inWord = true;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** A command line split into its leading `VAR=value` assignments, its program and arguments. */
export interface CommandLine {
  env: Record<string, string>;
  program: string;
  args: string[];
}

/** `command` (as setup writes hooks) split into environment, program and arguments. */
export function parseCommandLine(command: string): CommandLine {
  const words = shellWords(command);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length; i++) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(words[i]);
    if (!m) break;
    env[m[1]] = m[2];
  }
  if (words[i] === "exec") i++;
  return { env, program: words[i] ?? "", args: words.slice(i + 1) };
}

/** The word after `flag` in `args`, as in `--as NAME`; null when absent. */
export function flagValue(args: readonly string[], flag: string): string | null {
  const at = args.indexOf(flag);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : null;
}
