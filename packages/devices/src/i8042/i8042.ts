import { BytePortDevice } from "../api/io.js";
import { type IrqLine, NO_IRQ } from "../api/irq.js";
import { checkShape, checkState, type Device, type DeviceState } from "../api/state.js";
import { ByteQueue } from "../util/byte-queue.js";
import {
  CMD_A20_DISABLE,
  CMD_A20_ENABLE,
  CMD_AUX_DISABLE,
  CMD_AUX_ENABLE,
  CMD_AUX_TEST,
  CMD_KBD_DISABLE,
  CMD_KBD_ENABLE,
  CMD_KBD_TEST,
  CMD_PULSE_BASE,
  CMD_READ_INPUT,
  CMD_READ_OUTPUT,
  CMD_READ_RAM,
  CMD_READ_TEST,
  CMD_SELF_TEST,
  CMD_WRITE_AUX,
  CMD_WRITE_AUX_OUT,
  CMD_WRITE_KBD_OUT,
  CMD_WRITE_OUTPUT,
  CMD_WRITE_RAM,
  CTR_AUX_DISABLE,
  CTR_AUX_INT,
  CTR_KBD_DISABLE,
  CTR_KBD_INT,
  CTR_SYS,
  CTR_XLATE,
  KBD_ACK,
  KBD_BAT_OK,
  KBD_DISABLE,
  KBD_ECHO,
  KBD_ENABLE,
  KBD_GET_ID,
  KBD_NAK,
  KBD_RESET,
  KBD_SCANCODE_SET,
  KBD_SET_DEFAULT,
  KBD_SET_LEDS,
  KBD_SET_RATE,
  OUT_A20,
  OUT_AUX_OBF,
  OUT_KBD_OBF,
  OUT_RESET,
  STR_AUX_OBF,
  STR_CMD,
  STR_OBF,
  STR_SYS,
  STR_TIMEOUT,
  STR_UNLOCKED,
} from "./registers.js";
import type { I8042State } from "./state.js";

const STATE_VERSION = 1;

/** One of the controller's two ports, forwarding to the controller. */
class KbcPort extends BytePortDevice {
  constructor(
    private readonly onRead: () => number,
    private readonly onWrite: (value: number) => void,
  ) {
    super();
  }

  protected readByte(): number {
    return this.onRead();
  }

  protected writeByte(_offset: number, value: number): void {
    this.onWrite(value);
  }
}

/** Options for {@link I8042}. */
export interface I8042Options {
  /** IRQ1 (keyboard data). */
  irq1?: IrqLine;
  /** IRQ12 (AUX data). */
  irq12?: IrqLine;
  /** Reset line pulsed (command 0xFE, or 0 written to output port bit 0). */
  onReset?: () => void;
  /** A20 gate changed through the output port. */
  onA20?: (enabled: boolean) => void;
  /** A keyboard is attached (default true). Without one, keyboard commands time out. */
  keyboard?: boolean;
  /** Config byte after reset (default 0x45: IRQ1, system flag, translation, as a BIOS leaves it). */
  initialConfig?: number;
  /** A20 state after reset (default true). */
  a20?: boolean;
}

/**
 * An i8042 PS/2 controller with an AT keyboard: what Linux's i8042 and atkbd probes need
 * (self-test, config byte, interface tests, AUX loopback, A20 and reset through the
 * output port, keyboard identify/reset/LEDs/scan-code set). No mouse is attached:
 * bytes sent to the AUX device answer 0xFE with the timeout bit. Host key input goes
 * to {@link keyboardInput} as raw bytes in the scan code set the guest expects (set 1
 * when translation is on); translation itself is not performed.
 * Register `dataPort` at 0x60 and `commandPort` at 0x64.
 */
export class I8042 implements Device {
  /** {@link Device.name}. */
  readonly name = "i8042";
  /** Port 0x60. */
  readonly dataPort: BytePortDevice;
  /** Port 0x64. */
  readonly commandPort: BytePortDevice;
  private readonly irq1: IrqLine;
  private readonly irq12: IrqLine;
  private readonly onReset: () => void;
  private readonly onA20: (enabled: boolean) => void;
  private readonly hasKeyboard: boolean;
  private readonly initialConfig: number;
  private readonly initialA20: boolean;

  private readonly ram = new Uint8Array(32);
  private outValue = 0;
  private outFull = false;
  private outAux = false;
  private lastWasCommand = false;
  private timeout = false;
  private pendingCommand = 0;
  private outputPort = OUT_RESET;
  private readonly controllerQueue = new ByteQueue(8);
  private readonly keyboardQueue = new ByteQueue();
  private readonly auxQueue = new ByteQueue(8);
  private keyboardCommand = 0;
  private scanning = true;
  private scancodeSet = 2;
  private leds = 0;
  private irq1Level = false;
  private irq12Level = false;

  constructor(options: I8042Options = {}) {
    this.irq1 = options.irq1 ?? NO_IRQ;
    this.irq12 = options.irq12 ?? NO_IRQ;
    this.onReset =
      options.onReset ??
      ((): void => {
        /* no reset wiring */
      });
    this.onA20 =
      options.onA20 ??
      ((): void => {
        /* no A20 wiring */
      });
    this.hasKeyboard = options.keyboard ?? true;
    this.initialConfig = (options.initialConfig ?? CTR_KBD_INT | CTR_SYS | CTR_XLATE) & 0xff;
    this.initialA20 = options.a20 ?? true;
    this.dataPort = new KbcPort(
      () => this.readData(),
      (v) => {
        this.writeData(v);
      },
    );
    this.commandPort = new KbcPort(
      () => this.readStatus(),
      (v) => {
        this.writeCommand(v);
      },
    );
    this.reset();
  }

  /** A20 as last set through the output port. */
  get a20(): boolean {
    return (this.outputPort & OUT_A20) !== 0;
  }

  private get config(): number {
    return this.ram[0];
  }

  /** Host keyboard input (scan code bytes); dropped while the keyboard is absent or not scanning. */
  keyboardInput(bytes: ArrayLike<number>): void {
    if (!this.hasKeyboard || !this.scanning) return;
    for (let i = 0; i < bytes.length; i++) this.keyboardQueue.push(bytes[i] & 0xff);
    this.deliver();
  }

  /** {@link Device.reset}. */
  reset(): void {
    this.ram.fill(0);
    this.ram[0] = this.initialConfig;
    this.outValue = 0;
    this.outFull = false;
    this.outAux = false;
    this.lastWasCommand = false;
    this.timeout = false;
    this.pendingCommand = 0;
    this.outputPort = OUT_RESET | (this.initialA20 ? OUT_A20 : 0);
    this.controllerQueue.clear();
    this.keyboardQueue.clear();
    this.auxQueue.clear();
    this.resetKeyboard();
    this.updateIrqs();
  }

  private resetKeyboard(): void {
    this.keyboardCommand = 0;
    this.scanning = true;
    this.scancodeSet = 2;
    this.leds = 0;
  }

  // ---- output buffer

  /** Fill the output buffer from the queues: controller replies, then keyboard, then AUX. */
  private deliver(): void {
    if (!this.outFull) {
      const cfg = this.config;
      if (this.controllerQueue.length > 0) {
        this.outValue = this.controllerQueue.shift();
        this.outAux = false;
        this.outFull = true;
      } else if ((cfg & CTR_KBD_DISABLE) === 0 && this.keyboardQueue.length > 0) {
        this.outValue = this.keyboardQueue.shift();
        this.outAux = false;
        this.outFull = true;
      } else if ((cfg & CTR_AUX_DISABLE) === 0 && this.auxQueue.length > 0) {
        this.outValue = this.auxQueue.shift();
        this.outAux = true;
        this.outFull = true;
      }
    }
    this.updateIrqs();
  }

  private updateIrqs(): void {
    const cfg = this.config;
    const l1 = this.outFull && !this.outAux && (cfg & CTR_KBD_INT) !== 0;
    const l12 = this.outFull && this.outAux && (cfg & CTR_AUX_INT) !== 0;
    if (l1 !== this.irq1Level) {
      this.irq1Level = l1;
      this.irq1.setLevel(l1);
    }
    if (l12 !== this.irq12Level) {
      this.irq12Level = l12;
      this.irq12.setLevel(l12);
    }
  }

  private reply(v: number): void {
    this.controllerQueue.push(v);
    this.deliver();
  }

  // ---- ports

  private readStatus(): number {
    let s = STR_UNLOCKED;
    if (this.outFull) s |= this.outAux ? STR_OBF | STR_AUX_OBF : STR_OBF;
    if ((this.config & CTR_SYS) !== 0) s |= STR_SYS;
    if (this.lastWasCommand) s |= STR_CMD;
    if (this.timeout) s |= STR_TIMEOUT;
    return s;
  }

  private readData(): number {
    const v = this.outValue;
    if (this.outFull) {
      this.outFull = false;
      this.timeout = false;
      this.updateIrqs(); // the line drops, so the next byte is a fresh edge
      this.deliver();
    }
    return v;
  }

  private writeOutputPort(v: number): void {
    const old = this.outputPort;
    this.outputPort = v & (OUT_RESET | OUT_A20);
    if (((old ^ v) & OUT_A20) !== 0) this.onA20((v & OUT_A20) !== 0);
    if ((v & OUT_RESET) === 0) {
      // The reset line is asserted low: the machine resets, and the controller's pin
      // returns high with it.
      this.outputPort |= OUT_RESET;
      this.onReset();
    }
  }

  private writeCommand(cmd: number): void {
    this.lastWasCommand = true;
    this.pendingCommand = 0;
    if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + 0x20) {
      this.reply(this.ram[cmd & 0x1f]);
      return;
    }
    if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + 0x20) {
      this.pendingCommand = cmd;
      return;
    }
    if (cmd >= CMD_PULSE_BASE) {
      if ((cmd & OUT_RESET) === 0) this.onReset();
      return;
    }
    switch (cmd) {
      case CMD_AUX_DISABLE:
        this.ram[0] |= CTR_AUX_DISABLE;
        break;
      case CMD_AUX_ENABLE:
        this.ram[0] &= ~CTR_AUX_DISABLE;
        break;
      case CMD_AUX_TEST:
      case CMD_KBD_TEST:
        this.reply(0x00);
        return;
      case CMD_SELF_TEST:
        this.ram[0] |= CTR_SYS;
        this.reply(0x55);
        return;
      case CMD_KBD_DISABLE:
        this.ram[0] |= CTR_KBD_DISABLE;
        break;
      case CMD_KBD_ENABLE:
        this.ram[0] &= ~CTR_KBD_DISABLE;
        break;
      case CMD_READ_INPUT:
        this.reply(0xa0);
        return;
      case CMD_READ_OUTPUT: {
        let v = this.outputPort;
        if (this.outFull) v |= this.outAux ? OUT_AUX_OBF : OUT_KBD_OBF;
        this.reply(v);
        return;
      }
      case CMD_WRITE_OUTPUT:
      case CMD_WRITE_KBD_OUT:
      case CMD_WRITE_AUX_OUT:
      case CMD_WRITE_AUX:
        this.pendingCommand = cmd;
        return;
      case CMD_A20_DISABLE:
        this.writeOutputPort(this.outputPort & ~OUT_A20);
        return;
      case CMD_A20_ENABLE:
        this.writeOutputPort(this.outputPort | OUT_A20);
        return;
      case CMD_READ_TEST:
        this.reply(0x00);
        return;
      default:
        return; // unknown commands are ignored
    }
    this.deliver();
  }

  private writeData(v: number): void {
    this.lastWasCommand = false;
    const cmd = this.pendingCommand;
    this.pendingCommand = 0;
    if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + 0x20) {
      this.ram[cmd & 0x1f] = v;
      this.deliver();
      return;
    }
    switch (cmd) {
      case CMD_WRITE_OUTPUT:
        this.writeOutputPort(v);
        return;
      case CMD_WRITE_KBD_OUT:
        this.keyboardQueue.push(v);
        this.deliver();
        return;
      case CMD_WRITE_AUX_OUT:
        this.auxQueue.push(v);
        this.deliver();
        return;
      case CMD_WRITE_AUX:
        // No AUX device: the transmission times out.
        this.timeout = true;
        this.auxQueue.push(KBD_NAK);
        this.deliver();
        return;
      default:
        this.keyboardWrite(v);
    }
  }

  // ---- the keyboard

  private kbd(v: number): void {
    this.keyboardQueue.push(v);
  }

  private keyboardWrite(v: number): void {
    if (!this.hasKeyboard) {
      this.timeout = true;
      this.reply(KBD_NAK);
      return;
    }
    const param = this.keyboardCommand;
    if (param !== 0) {
      this.keyboardCommand = 0;
      switch (param) {
        case KBD_SET_LEDS:
          this.leds = v & 7;
          this.kbd(KBD_ACK);
          break;
        case KBD_SET_RATE:
          this.kbd(KBD_ACK);
          break;
        default: // KBD_SCANCODE_SET
          this.kbd(KBD_ACK);
          if (v === 0) this.kbd(this.scancodeSet);
          else if (v <= 3) this.scancodeSet = v;
          break;
      }
      this.deliver();
      return;
    }
    switch (v) {
      case KBD_SET_LEDS:
      case KBD_SET_RATE:
      case KBD_SCANCODE_SET:
        this.keyboardCommand = v;
        this.kbd(KBD_ACK);
        break;
      case KBD_ECHO:
        this.kbd(KBD_ECHO);
        break;
      case KBD_GET_ID:
        this.kbd(KBD_ACK);
        this.kbd(0xab);
        this.kbd((this.config & CTR_XLATE) !== 0 ? 0x41 : 0x83);
        break;
      case KBD_ENABLE:
        this.scanning = true;
        this.kbd(KBD_ACK);
        break;
      case KBD_DISABLE:
        this.scanning = false;
        this.kbd(KBD_ACK);
        break;
      case KBD_SET_DEFAULT:
        this.scancodeSet = 2;
        this.kbd(KBD_ACK);
        break;
      case KBD_RESET:
        this.keyboardQueue.clear();
        this.resetKeyboard();
        this.kbd(KBD_ACK);
        this.kbd(KBD_BAT_OK);
        break;
      default:
        // 0xF7–0xFD (set-3 modes) and resend are acknowledged; anything else is refused.
        this.kbd(v >= 0xf7 ? KBD_ACK : KBD_NAK);
        break;
    }
    this.deliver();
  }

  // ---- snapshots

  /** {@link Device.save}. */
  save(): I8042State {
    return {
      version: STATE_VERSION,
      ram: Array.from(this.ram),
      outValue: this.outValue,
      outFull: this.outFull,
      outAux: this.outAux,
      lastWasCommand: this.lastWasCommand,
      timeout: this.timeout,
      pendingCommand: this.pendingCommand,
      outputPort: this.outputPort,
      controllerQueue: this.controllerQueue.toArray(),
      keyboardQueue: this.keyboardQueue.toArray(),
      auxQueue: this.auxQueue.toArray(),
      keyboardCommand: this.keyboardCommand,
      scanning: this.scanning,
      scancodeSet: this.scancodeSet,
      leds: this.leds,
    };
  }

  /** {@link Device.restore}. */
  restore(state: DeviceState): void {
    checkState(this.name, state, STATE_VERSION);
    checkShape(this.name, state, this.save());
    const s = state as I8042State;
    for (let i = 0; i < 32; i++) this.ram[i] = s.ram[i] ?? 0;
    this.outValue = s.outValue & 0xff;
    this.outFull = s.outFull;
    this.outAux = s.outAux;
    this.lastWasCommand = s.lastWasCommand;
    this.timeout = s.timeout;
    this.pendingCommand = s.pendingCommand & 0xff;
    this.outputPort = s.outputPort & (OUT_RESET | OUT_A20);
    const fill = (q: ByteQueue, bytes: readonly number[]): void => {
      q.clear();
      for (const b of bytes) q.push(b & 0xff);
    };
    fill(this.controllerQueue, s.controllerQueue);
    fill(this.keyboardQueue, s.keyboardQueue);
    fill(this.auxQueue, s.auxQueue);
    this.keyboardCommand = s.keyboardCommand & 0xff;
    this.scanning = s.scanning;
    this.scancodeSet = s.scancodeSet & 3;
    this.leds = s.leds & 7;
    this.updateIrqs();
  }
}
