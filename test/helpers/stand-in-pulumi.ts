import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/*
 * A stand-in `pulumi` executable for the fleet tests: the Pulumi CLI cannot be installed here.
 * It answers what the Automation API asks (version, stack select/init, preview, up, stack output,
 * stack history), takes `STANDIN_DELAY_MS` per preview or up, fails for the stacks named in
 * `STANDIN_FAIL`, knows no stack named in `STANDIN_MISSING` until `stack init` creates it,
 * refuses a Pulumi.yaml whose `main` leaves the project folder (as Pulumi does), writes a
 * summary event where the Automation API reads one, and appends every invocation (args, cwd,
 * start and end) to `STANDIN_LOG`. It deploys nothing.
 */
const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require("fs");
const args = process.argv.slice(2);
const started = Date.now();
const stackIndex = args.indexOf("--stack");
const stack = stackIndex >= 0 ? args[stackIndex + 1] : undefined;
const log = (extra) => fs.appendFileSync(process.env.STANDIN_LOG, JSON.stringify({ args, cwd: process.cwd(), stack, started, ended: Date.now(), ...extra }) + "\n");
const command = args.filter((a) => !a.startsWith("-"))[0];
// A version before 3.206, so that the Automation API reads engine events from a file (newer CLIs stream them over gRPC).
if (command === "version") { process.stdout.write("v3.200.0\n"); process.exit(0); }
// Pulumi refuses a project whose main is not a subfolder of the project's own folder.
if (fs.existsSync("Pulumi.yaml")) {
  const main = (/^main:\s*(\S+)/m.exec(fs.readFileSync("Pulumi.yaml", "utf8")) || [])[1];
  if (main !== undefined && (main.startsWith("/") || main.split("/").includes(".."))) {
    log({ command, refused: "main" });
    process.stderr.write("error: project 'main' must be a subfolder\n");
    process.exit(255);
  }
}
const created = process.env.STANDIN_LOG + ".created";
const missing = (process.env.STANDIN_MISSING || "").split(",").filter((s) => s !== "" && !(fs.existsSync(created) && fs.readFileSync(created, "utf8").split("\n").includes(s)));
if (command === "stack" && args[1] === "select" && missing.includes(stack)) {
  log({ command: "stack select", missing: true });
  process.stderr.write("error: no stack named '" + stack + "' found\n");
  process.exit(255);
}
if (command === "stack" && args[1] === "init") { fs.appendFileSync(created, args[2] + "\n"); log({ command: "stack init", stack: args[2] }); process.exit(0); }
if (command === "preview" || command === "up") {
  setTimeout(() => {
    const failing = (process.env.STANDIN_FAIL || "").split(",").includes(stack);
    const finish = () => {
      log({ command, failing });
      if (failing) { process.stderr.write("error: " + command + " of " + stack + " failed: the provider refused a change\n"); process.exit(1); }
      process.stdout.write((command === "up" ? "Updating" : "Previewing update") + " (" + stack + ")\n");
      process.exit(0);
    };
    const eventLog = args.includes("--event-log") ? args[args.indexOf("--event-log") + 1] : undefined;
    const summary = JSON.stringify({ sequence: 1, timestamp: 1, summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: { same: 100, update: 2 }, PolicyPacks: {} } }) + "\n";
    if (eventLog !== undefined && !failing) fs.appendFileSync(eventLog, summary);
    finish();
  }, Number(process.env.STANDIN_DELAY_MS || "0"));
} else {
  log({ command });
  if (command === "stack" && args.includes("output")) process.stdout.write("{}\n");
  else if (command === "stack" && args.includes("history")) process.stdout.write(JSON.stringify([{ version: 1, kind: "update", startTime: "2026-11-23T00:00:00.000Z", message: "", environment: {}, config: {}, result: "succeeded", resourceChanges: { same: 100, update: 2 } }]) + "\n");
  process.exit(0);
}
`;

/** Writes the stand-in to `<dir>/bin/pulumi` and returns that bin directory (for PATH). */
export function writeStandInPulumi(dir: string): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "pulumi"), SCRIPT);
  chmodSync(join(bin, "pulumi"), 0o755);
  return bin;
}
