import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { WriteCoalescer } from "../../../src/serve/ws/write-coalescer.js";
import { waitFor } from "../../support/wait-for.js";

/** A stream that records each write it is handed, as one buffer. */
function recorder() {
  const writes: Buffer[] = [];
  const stream = new PassThrough();
  const write = stream.write.bind(stream);
  stream.write = ((chunk: Buffer, ...rest: never[]) => {
    writes.push(Buffer.from(chunk));
    return write(chunk, ...rest);
  }) as typeof stream.write;
  stream.resume();
  return { stream, writes };
}

const frame = (text: string) => Buffer.from(text);

describe("WriteCoalescer", () => {
  it("writes the frames of one turn as one buffer, in order, and says when", async () => {
    const { stream, writes } = recorder();
    let written = 0;
    const batch = new WriteCoalescer(16, 0).batchFor(
      stream,
      () => true,
      () => written++,
    );
    batch.add(frame("a"));
    batch.add(frame("b"));
    batch.add(frame("c"));
    assert.equal(writes.length, 0, "held until the turn ends");

    await waitFor("the batch write", () => written === 1);
    assert.deepEqual(writes.map(String), ["abc"]);
  });

  it("takes in frames of later turns within the window", async () => {
    const { stream, writes } = recorder();
    const batch = new WriteCoalescer(16, 20).batchFor(
      stream,
      () => true,
      () => {},
    );
    batch.add(frame("a"));
    await new Promise((resolve) => setImmediate(resolve));
    batch.add(frame("b"));
    assert.equal(writes.length, 0);

    await waitFor("the window to end", () => writes.length === 1);
    assert.deepEqual(writes.map(String), ["ab"]);
  });

  it("writes at once when a batch reaches maxFramesPerWrite", () => {
    const { stream, writes } = recorder();
    const batch = new WriteCoalescer(2, 0).batchFor(
      stream,
      () => true,
      () => {},
    );
    batch.add(frame("a"));
    batch.add(frame("b"));
    batch.add(frame("c"));
    assert.deepEqual(writes.map(String), ["ab"]);
    assert.equal(batch.size, 1);
  });

  it("writes nothing for a session that closed meanwhile", async () => {
    const { stream, writes } = recorder();
    let open = true;
    const coalescer = new WriteCoalescer(16, 0);
    const closing = coalescer.batchFor(
      stream,
      () => open,
      () => {},
    );
    const other = recorder();
    let otherWritten = false;
    const staying = coalescer.batchFor(
      other.stream,
      () => true,
      () => {
        otherWritten = true;
      },
    );
    closing.add(frame("a"));
    staying.add(frame("b"));
    open = false;

    await waitFor("the other socket's write", () => otherWritten);
    assert.deepEqual(writes, []);
    assert.deepEqual(other.writes.map(String), ["b"]);
  });
});
