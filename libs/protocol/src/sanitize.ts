/** Longest line the parser looks at; the rest is cut off. Fits a 32K RISC-V STACKDUMP line (64 KiB of hex + prefix). */
export const MAX_LINE_CHARS = 64 * 1024 + 256;

// CSI (`ESC [ ... final`), OSC (`ESC ] ... BEL|ST`), other two-byte escapes, then any lone ESC.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x1b/g;
// C0 controls except tab, plus DEL. U+FFFD from bad UTF-8 is left alone: it is text.
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/g;

/** Makes a framed line safe to match: no escape codes, NULs or control bytes, no trailing whitespace. */
export function cleanLine(line: string): string {
  const capped = line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) : line;
  return capped.replace(ANSI, '').replace(CONTROL, '').trimEnd();
}
