import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/*
 * The CLI exits explicitly (open handles must not decide the code), and a reader of its pipe may
 * be slower than it: `up --local --verbose | tail` once lost the end of the table. The child
 * below makes its stdout pipe non-blocking, writes more than a pipe holds, and exits while this
 * process is not yet reading.
 */
const EXIT_MODULE = join(__dirname, "..", "..", "dist", "cli", "exit.js");
const LINES = 20_000;

function childOutput(exit: "exitAfterFlush" | "process.exit"): Promise<{ lines: number; last: string; code: number | null }> {
  const script = `
    process.stdout._handle.setBlocking(false);
    for (let i = 1; i <= ${LINES}; i += 1) process.stdout.write("line " + i + " of a table wider than it needs to be\\n");
    ${exit === "exitAfterFlush" ? `require(${JSON.stringify(EXIT_MODULE)}).exitAfterFlush(0);` : "process.exit(0);"}`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  const chunks: Buffer[] = [];
  // Read only after the child exited or a second passed: a slow reader.
  let reading = false;
  const read = () => {
    if (reading) return;
    reading = true;
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
  };
  const timer = setTimeout(read, 1000);
  child.once("exit", () => { clearTimeout(timer); read(); });
  return new Promise((resolve) => {
    child.once("close", (code) => {
      const lines = Buffer.concat(chunks).toString("utf8").split("\n").filter((line) => line !== "");
      resolve({ lines: lines.length, last: lines.at(-1) ?? "", code });
    });
  });
}

describe("the CLI's exit", () => {
  it("hands a slow pipe everything written before it, where process.exit drops the rest", async () => {
    const flushed = await childOutput("exitAfterFlush");
    expect(flushed).toEqual({ lines: LINES, last: `line ${LINES} of a table wider than it needs to be`, code: 0 });
    // The control: without the flush the same child loses the end of its output.
    const dropped = await childOutput("process.exit");
    expect(dropped.lines).toBeLessThan(LINES);
  });
});
