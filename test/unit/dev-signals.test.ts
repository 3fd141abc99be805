import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { devSignals, type DevSignals } from "../../cli/dev-signals";
import { withLocalSession } from "../../cli/local-session";

/*
 * `tenantry dev`'s signal handling, as a user who presses Ctrl-C at any moment: in the apply (the
 * local session owns the signal), between the apply and the edge, or while the edge serves. The
 * handlers are called directly, not by process.emit, so the test runner's own are not triggered.
 */

const scratch = mkdtempSync(join(tmpdir(), "tenantry-dev-signals-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let installed: DevSignals | undefined;
afterEach(() => installed?.dispose());

const handlers = (since: readonly unknown[]) => process.listeners("SIGINT").filter((listener) => !since.includes(listener));
const press = (listeners: readonly ((signal: NodeJS.Signals) => void)[], signal: NodeJS.Signals = "SIGINT") => listeners.forEach((listener) => listener(signal));

describe("tenantry dev's signals", () => {
  it("leaves no moment between the apply's session and the edge to Node's default handler", async () => {
    const before = process.listeners("SIGINT");
    // The control: the session's handlers are gone when it returns, and nothing else is left.
    await withLocalSession(join(scratch, "control"), async () => 0);
    expect(handlers(before)).toEqual([]);

    installed = devSignals(() => undefined);
    await installed.duringSession(() => withLocalSession(join(scratch, "dev"), async () => 0));
    const left = handlers(before);
    expect(left).toHaveLength(1);
    press(left);
    expect(installed.stop.aborted).toBe(true);
    expect(installed.received()).toBe("SIGINT");
  });

  it("during the apply notes the first signal and leaves a second to the session, which cleans up before it exits", async () => {
    const before = process.listeners("SIGINT");
    const exit = vi.fn();
    installed = devSignals(exit);
    await installed.duringSession(async () => {
      press(handlers(before), "SIGTERM");
      press(handlers(before));
    });
    expect(exit).not.toHaveBeenCalled();
    expect(installed.stop.aborted).toBe(true);
    expect(installed.received()).toBe("SIGTERM");
  });

  it("before and after the apply, exits 130 at once on a second signal", async () => {
    const before = process.listeners("SIGINT");
    vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    for (const moment of ["before", "after"] as const) {
      const exit = vi.fn();
      installed?.dispose();
      installed = devSignals(exit);
      if (moment === "after") await installed.duringSession(async () => undefined);
      press(handlers(before));
      expect(exit).not.toHaveBeenCalled();
      press(handlers(before));
      expect(exit).toHaveBeenCalledWith(130);
    }
    vi.restoreAllMocks();
  });

  it("removes its handlers for both signals when disposed", () => {
    const before = { SIGINT: process.listenerCount("SIGINT"), SIGTERM: process.listenerCount("SIGTERM") };
    const signals = devSignals(() => undefined);
    expect(process.listenerCount("SIGINT")).toBe(before.SIGINT + 1);
    expect(process.listenerCount("SIGTERM")).toBe(before.SIGTERM + 1);
    signals.dispose();
    expect({ SIGINT: process.listenerCount("SIGINT"), SIGTERM: process.listenerCount("SIGTERM") }).toEqual(before);
  });
});
