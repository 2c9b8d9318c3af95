import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { WsErrorCode } from "../../../src/serve/ws/index.js";

describe("WsErrorCode", () => {
  it("has every code documented in the README's error table", async () => {
    const readme = await readFile(
      new URL("../../../README.md", import.meta.url),
      "utf8",
    );
    for (const code of Object.values(WsErrorCode)) {
      assert.match(readme, new RegExp(`^\\| \`${code}\` +\\|`, "m"), code);
    }
  });

  it("uses each code's own name as its value", () => {
    for (const [name, value] of Object.entries(WsErrorCode)) {
      assert.equal(name, value);
    }
  });
});
