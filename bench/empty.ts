// The empty script whose `deno run` start is the CLI floor of the bench.
