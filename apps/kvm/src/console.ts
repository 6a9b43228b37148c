/**
 * The serial console on the user's terminal: raw mode, bytes to the guest's UART, and QEMU's
 * escape character Ctrl-A (x quit, h help, Ctrl-A sends a literal Ctrl-A).
 */

/** Ctrl-A. */
const ESCAPE = 0x01;

/** What the console does with the bytes a user types. */
export interface ConsoleActions {
  /** Deliver bytes to the guest's serial port. */
  input(bytes: Uint8Array): void;
  /** The user asked to quit (Ctrl-A x). */
  quit(): void;
  /** Print a message for the user (help text). */
  message(text: string): void;
}

/**
 * Splits typed bytes into guest input and escape commands. A separate class from the TTY
 * handling so that it can be tested without a terminal.
 */
export class EscapeFilter {
  private pendingEscape = false;

  constructor(private readonly actions: ConsoleActions) {}

  /** Feed bytes read from the terminal. */
  feed(data: Uint8Array): void {
    let start = 0;
    for (let k = 0; k < data.length; k++) {
      const b = data[k];
      if (this.pendingEscape) {
        this.pendingEscape = false;
        start = k + 1;
        switch (b) {
          case 0x78: // x
            this.actions.quit();
            return;
          case 0x68: // h
            this.actions.message("\r\nC-a h    print this help\r\nC-a x    exit the VM\r\nC-a C-a  send C-a\r\n");
            break;
          case ESCAPE:
            this.actions.input(Uint8Array.of(ESCAPE));
            break;
          default:
            break;
        }
        continue;
      }
      if (b === ESCAPE) {
        if (k > start) this.actions.input(data.subarray(start, k));
        this.pendingEscape = true;
        start = k + 1;
      }
    }
    if (start < data.length && !this.pendingEscape) this.actions.input(data.subarray(start));
  }
}

/** Attach stdin in raw mode (when it is a TTY); returns a function that restores it. */
export function attachTerminal(actions: ConsoleActions): () => void {
  const stdin = process.stdin;
  const filter = new EscapeFilter(actions);
  const wasRaw = stdin.isTTY && stdin.isRaw;
  if (stdin.isTTY) stdin.setRawMode(true);
  const onData = (d: Buffer): void => {
    filter.feed(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  };
  stdin.on("data", onData);
  stdin.resume();
  return () => {
    stdin.off("data", onData);
    if (stdin.isTTY) stdin.setRawMode(wasRaw);
    stdin.pause();
  };
}
