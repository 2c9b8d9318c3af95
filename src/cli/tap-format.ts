/**
 * Turns frames of the JSON client protocol into the lines `tributary tap`
 * prints: one line a message, notices on their own lines.
 */

/** A frame the gateway sent, as far as tap needs to know it. */
export interface GatewayFrame {
  type?: unknown;
  topic?: unknown;
  seq?: unknown;
  source?: unknown;
  data?: unknown;
  [field: string]: unknown;
}

/** Where a formatted line goes. */
export type TapLine =
  | { readonly stream: "out"; readonly text: string }
  | { readonly stream: "err"; readonly text: string };

/** One line for a frame: messages to stdout, everything else to stderr. */
export function formatFrame(frame: GatewayFrame): TapLine {
  switch (frame.type) {
    case "message":
      return {
        stream: "out",
        text: [
          String(frame.topic),
          `#${String(frame.seq)}`,
          String(frame.source),
          JSON.stringify(frame.data),
        ].join("  "),
      };
    case "gap":
      return {
        stream: "err",
        text:
          `gap ${String(frame.topic)} ${String(frame.fromSeq)}..` +
          `${String(frame.toSeq)} (${String(frame.reason)})`,
      };
    case "subscribed":
      return { stream: "err", text: `subscribed ${listOf(frame.topics)}` };
    case "error":
      return {
        stream: "err",
        text: `error ${String(frame.code)}: ${String(frame.message)}`,
      };
    default:
      return { stream: "err", text: JSON.stringify(frame) };
  }
}

function listOf(value: unknown): string {
  return Array.isArray(value) ? value.join(" ") : String(value);
}
