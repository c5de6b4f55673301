// The serial port's output (the kernel log) as plain text under the terminal. Text only:
// it is appended with textContent semantics, never parsed as HTML.
const MAX_CHARS = 200_000;

export interface SerialLog {
  write(bytes: Uint8Array): void;
}

export function createSerialLog(pre: HTMLElement): SerialLog {
  const decoder = new TextDecoder();
  let text = "";
  let scheduled = false;
  return {
    write(bytes) {
      // Drop carriage returns and keep the newest MAX_CHARS so a chatty kernel cannot grow the page forever.
      text = (text + decoder.decode(bytes, { stream: true }).replace(/\r/g, "")).slice(-MAX_CHARS);
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        pre.textContent = text;
        pre.scrollTop = pre.scrollHeight;
      });
    },
  };
}
