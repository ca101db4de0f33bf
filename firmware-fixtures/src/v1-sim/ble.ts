import net from 'node:net';
import { sleep } from '../wifi-bench-sim/abortable.js';
import {
  FRAME,
  FrameReader,
  encodeFrame,
  jsonFrame,
  lookupPeripheral,
  parseJsonBody,
  registerPeripheral,
  unregisterPeripheral,
} from './air.js';
import { RateBucket } from './bucket.js';
import { bleLinkModel } from './link-model.js';
import { BLE_PHYS, type BlePhy } from './options.js';
import { Run, type RunRole } from './run.js';

/** How long a peripheral advertises for a central: max(10 s, duration_ms). */
export const MIN_ADVERTISE_MS = 10_000;
/** A central re-reads the air registry this often until it finds its peer. */
export const SCAN_RETRY_MS = 20;
const HANDSHAKE_TIMEOUT_MS = 2000;
/** How long a receiver whose duration is up waits for its sender's END before it reports by its own clock. */
export const END_WAIT_MS = 500;

export interface BleLink {
  phy: BlePhy;
  mtu: number;
  connIntervalMs: number;
  /** ATT value bytes per packet. */
  payload: number;
}

type ConnectOutcome = 'connected' | 'unreachable' | { rejected: string };

/**
 * `ble-notify` / `ble-write` in either role, over a TCP connection on 127.0.0.1 standing in for the air.
 * The central's request sets PHY and connection interval; the MTU is the smaller of both requests; the
 * payload is the sender's (default MTU − 3). Each side's capacity is the link model × its `ble_scale` × its
 * BLE airtime share; the sender paces at the smaller of the two capacities, re-sent whenever one changes.
 */
export class BleRun extends Run {
  readonly role: RunRole;
  private readonly isSender: boolean;
  private server: net.Server | null = null;
  private registeredPort: number | null = null;
  private candidate: net.Socket | null = null;
  private socket: net.Socket | null = null;
  private link: BleLink | null = null;
  private peerAddress: string | null = null;
  private peerCap: number | null = null;
  private bucket: RateBucket | null = null;
  private dataFrame: Buffer | null = null;
  /** Packets sent (sender) or received (receiver). */
  private packets = 0;
  /** Receiver: packets received by its own deadline, reported if the sender's END never comes. */
  private packetsByDeadline = 0;
  private countToDeadline = false;
  private endWaitTimer: NodeJS.Timeout | undefined;
  private waitingForDrain = false;
  private pumpTimer: NodeJS.Timeout | undefined;
  private advertiseTimer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private dataSeen = false;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(...args: ConstructorParameters<typeof Run>) {
    super(...args);
    this.isSender = (this.spec.scenario === 'ble-notify') === (this.spec.role === 'peripheral');
    this.role = this.isSender ? 'sender' : 'receiver';
  }

  protected begin(): Promise<void> {
    return this.spec.role === 'peripheral' ? this.advertise() : this.scan();
  }

  // --- peripheral ---

  private async advertise(): Promise<void> {
    const server = net.createServer({ noDelay: true });
    this.server = server;
    server.on('connection', (socket) => this.onCentral(socket));
    server.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (this.state !== 'pending') return;
    const port = (server.address() as net.AddressInfo).port;
    this.registeredPort = port;
    await registerPeripheral(this.env.airDir, this.env.bleAddress, port);
    if (this.registeredPort !== port) {
      // Stopped while the registration was being written: take it back.
      await unregisterPeripheral(this.env.airDir, this.env.bleAddress, port);
      return;
    }
    if (this.state !== 'pending') return;
    const advertiseMs = Math.max(MIN_ADVERTISE_MS, this.spec.durationMs);
    this.env.log(`BLE: advertising as ${this.env.bleAddress} (${this.spec.scenario} peripheral)`);
    this.advertiseTimer = setTimeout(() => {
      if (this.state === 'pending') this.fail('timeout', `no BLE central connected within ${advertiseMs} ms`);
    }, advertiseMs);
  }

  private onCentral(socket: net.Socket): void {
    socket.on('error', () => {});
    if (this.socket || this.state !== 'pending') {
      socket.destroy();
      return;
    }
    let accepted = false;
    const reader = new FrameReader((type, body) => {
      if (accepted) {
        this.onFrame(type, body);
        return;
      }
      if (this.socket || this.state !== 'pending' || type !== FRAME.hello) {
        socket.destroy();
        return;
      }
      const hello = parseJsonBody(body) ?? {};
      const problem = this.checkHello(hello);
      if (problem !== null) {
        this.env.log(`BLE: refused a central: ${problem}`);
        socket.end(jsonFrame(FRAME.reject, { reason: problem }));
        return;
      }
      accepted = true;
      const mtu = Math.min(hello.mtu as number, this.spec.mtu);
      const requested = this.isSender ? this.spec.payload : typeof hello.payload === 'number' ? hello.payload : null;
      this.link = {
        phy: hello.phy as BlePhy,
        mtu,
        connIntervalMs: hello.conn_interval_ms as number,
        payload: Math.min(requested ?? mtu - 3, mtu - 3),
      };
      this.peerAddress = typeof hello.address === 'string' ? hello.address : 'central';
      socket.write(
        jsonFrame(FRAME.accept, {
          address: this.env.bleAddress,
          phy: this.link.phy,
          mtu: this.link.mtu,
          conn_interval_ms: this.link.connIntervalMs,
          payload: this.link.payload,
        }),
      );
      this.adopt(socket);
    });
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
  }

  private checkHello(hello: Record<string, unknown>): string | null {
    if (hello.scenario !== this.spec.scenario || hello.role !== 'central') {
      return `peripheral ${this.env.bleAddress} runs ${this.spec.scenario}, the central asked for ${String(hello.scenario)}`;
    }
    if (!(BLE_PHYS as readonly unknown[]).includes(hello.phy)) return 'bad PHY';
    if (typeof hello.mtu !== 'number' || typeof hello.conn_interval_ms !== 'number') return 'bad MTU or interval';
    return null;
  }

  // --- central ---

  private async scan(): Promise<void> {
    const peer = this.spec.peer ?? '';
    const giveUpAt = this.env.clock() + this.spec.durationMs;
    this.env.log(`BLE: scanning for ${peer}`);
    while (this.state === 'pending') {
      const port = await lookupPeripheral(this.env.airDir, peer);
      if (this.state !== 'pending') return;
      if (port !== null) {
        const outcome = await this.connect(port);
        if (outcome === 'connected' || this.state !== 'pending') return;
        if (typeof outcome === 'object') {
          this.fail('connect-failed', `BLE peer ${peer} refused the connection: ${outcome.rejected}`);
          return;
        }
      }
      if (this.env.clock() >= giveUpAt) {
        this.fail('peer-not-found', `BLE peer ${peer} not found within ${this.spec.durationMs} ms (air: ${this.env.airDir})`);
        return;
      }
      await sleep(SCAN_RETRY_MS, this.controller.signal);
    }
  }

  private connect(port: number): Promise<ConnectOutcome> {
    return new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
      this.candidate = socket;
      let settled = false;
      const settle = (outcome: ConnectOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (this.candidate === socket) this.candidate = null;
        if (outcome !== 'connected') socket.destroy();
        resolve(outcome);
      };
      const timer = setTimeout(() => settle('unreachable'), HANDSHAKE_TIMEOUT_MS);
      socket.on('error', () => settle('unreachable'));
      socket.on('close', () => settle('unreachable'));
      socket.on('connect', () => {
        socket.write(
          jsonFrame(FRAME.hello, {
            scenario: this.spec.scenario,
            role: 'central',
            address: this.env.bleAddress,
            phy: this.spec.phy,
            mtu: this.spec.mtu,
            conn_interval_ms: this.spec.connIntervalMs,
            payload: this.isSender ? this.spec.payload : null,
          }),
        );
      });
      const reader = new FrameReader((type, body) => {
        if (settled) {
          if (this.socket === socket) this.onFrame(type, body);
          return;
        }
        const reply = parseJsonBody(body) ?? {};
        if (type === FRAME.reject) {
          settle({ rejected: typeof reply.reason === 'string' ? reply.reason : 'rejected' });
        } else if (type === FRAME.accept && this.state === 'pending') {
          this.link = {
            phy: reply.phy as BlePhy,
            mtu: reply.mtu as number,
            connIntervalMs: reply.conn_interval_ms as number,
            payload: reply.payload as number,
          };
          this.peerAddress = typeof reply.address === 'string' ? reply.address : (this.spec.peer ?? 'peripheral');
          settle('connected');
          this.adopt(socket);
        } else {
          settle('unreachable');
        }
      });
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
    });
  }

  // --- both roles ---

  /**
   * The link is up. A receiver starts now (and moves its start to the first packet if that comes later); a
   * sender starts once it knows the peer's capacity, i.e. when it can send.
   */
  private adopt(socket: net.Socket): void {
    this.socket = socket;
    clearTimeout(this.advertiseTimer);
    this.stopAdvertising();
    const lost = (): void => {
      if (this.state !== 'ended' && this.socket === socket) this.fail('disconnected', `BLE link to ${this.peerAddress ?? 'peer'} lost`);
    };
    socket.on('end', lost);
    socket.on('close', lost);
    const link = this.link as BleLink;
    this.dataFrame = encodeFrame(FRAME.data, Buffer.alloc(link.payload));
    this.env.log(
      `BLE: connected to ${this.peerAddress ?? 'peer'}, PHY ${link.phy}, MTU ${link.mtu}, interval ${link.connIntervalMs} ms, ` +
        `${this.spec.role} ${this.role}`,
    );
    if (!this.isSender) this.markStarted();
    this.sendCapacity();
    if (this.isSender && this.state === 'pending') {
      if (this.peerCap !== null) this.senderReady();
      else {
        this.handshakeTimer = setTimeout(() => {
          if (this.state === 'pending') this.fail('connect-failed', `BLE peer ${this.peerAddress ?? ''} did not complete the connection`);
        }, HANDSHAKE_TIMEOUT_MS);
      }
    }
  }

  private senderReady(): void {
    clearTimeout(this.handshakeTimer);
    this.markStarted();
    this.updateRate();
  }

  private ownCapacity(): number {
    const link = this.link as BleLink;
    const { options } = this.env;
    const model = bleLinkModel({
      phy: link.phy,
      payload: link.payload,
      connIntervalMs: link.connIntervalMs,
      ppe: options.ppe,
      marginUs: options.bleMarginUs,
      scale: options.bleScale,
    });
    return model.bytesPerS * this.env.share('ble');
  }

  private sendCapacity(): void {
    if (this.state === 'ended' || !this.socket || this.socket.destroyed) return;
    this.socket.write(jsonFrame(FRAME.capacity, { cap: this.ownCapacity() }));
    if (this.isSender) this.updateRate();
  }

  private updateRate(): void {
    if (this.peerCap === null || this.state !== 'running') return;
    const rate = Math.min(this.ownCapacity(), this.peerCap);
    if (this.bucket) this.bucket.setRate(rate, this.now());
    else this.bucket = new RateBucket(rate, this.now());
    this.pump();
  }

  private onFrame(type: number, body: Buffer): void {
    if (this.state === 'ended') return;
    switch (type) {
      case FRAME.data:
        if (this.isSender || this.state !== 'running') break;
        if (!this.dataSeen) {
          this.dataSeen = true;
          this.rebaseStart();
        }
        // Everything the sender sent counts once its END (with its own duration) arrives; see onDeadline().
        this.packets++;
        if (this.env.clock() <= this.deadlineMs) this.packetsByDeadline++;
        break;
      case FRAME.capacity: {
        const cap = parseJsonBody(body)?.cap;
        if (typeof cap === 'number' && cap > 0) {
          this.peerCap = cap;
          if (this.isSender && this.state === 'pending') this.senderReady();
          else if (this.isSender) this.updateRate();
        }
        break;
      }
      case FRAME.end:
        // A receiver takes the transfer's duration from the sender: the loopback air and two busy processes add
        // latency to the first and last packets that a real link would not, so its own clock would misstate it.
        if (this.state === 'running') this.peerEnded(this.isSender ? undefined : senderMs(body));
        else this.stop();
        break;
    }
  }

  private readonly pump = (): void => {
    const { bucket, socket, link } = this;
    if (this.state !== 'running' || !bucket || !socket || !link || this.waitingForDrain) return;
    clearTimeout(this.pumpTimer);
    bucket.refill(this.now(), false);
    while (bucket.tokens >= link.payload) {
      if (!this.writePacket()) return;
    }
    const wait = bucket.msUntil(Math.max(link.payload, bucket.rate * 0.002));
    if (Number.isFinite(wait)) this.pumpTimer = setTimeout(this.pump, Math.max(1, wait));
  };

  private writePacket(): boolean {
    const { socket, link, dataFrame } = this;
    if (!socket || socket.destroyed || !socket.writable || !link || !dataFrame) return false;
    const accepted = socket.write(dataFrame);
    this.packets++;
    this.bucket?.take(link.payload);
    if (!accepted) {
      this.waitingForDrain = true;
      socket.once('drain', () => {
        this.waitingForDrain = false;
        this.bucket?.refill(this.now(), true);
        this.pump();
      });
    }
    return accepted;
  }

  /** Fault `ble-disconnect`: the link drops (RST on the air connection). */
  dropLink(): void {
    if (this.state !== 'running') return;
    this.fail('disconnected', `BLE link to ${this.peerAddress ?? 'peer'} dropped (simulated fault ble-disconnect@${this.number})`);
  }

  setShare(): void {
    this.sendCapacity();
  }

  /**
   * A receiver's duration is up. Its sender (whose start was earlier) has reached its own deadline too, but
   * under load its last packets and END can be late: wait a little for END, which carries the sender's `ms`,
   * and report everything it sent; without END, report what arrived by our own deadline.
   */
  protected override onDeadline(): void {
    if (this.isSender || !this.socket || this.socket.destroyed) {
      super.onDeadline();
      return;
    }
    this.endWaitTimer = setTimeout(() => {
      if (this.state !== 'running') return;
      this.countToDeadline = true;
      super.onDeadline();
    }, END_WAIT_MS);
  }

  private get countedPackets(): number {
    return this.countToDeadline ? this.packetsByDeadline : this.packets;
  }

  protected counted(): number {
    return this.countedPackets * (this.link?.payload ?? 0);
  }

  protected override catchUp(): void {
    if (this.isSender) this.pump();
  }

  protected details(): Record<string, unknown> {
    const link = this.link;
    return {
      phy: link?.phy ?? this.spec.phy,
      mtu: link?.mtu ?? this.spec.mtu,
      conn_interval_ms: link?.connIntervalMs ?? this.spec.connIntervalMs,
      packets: this.countedPackets,
      payload: link?.payload ?? this.spec.payload ?? this.spec.mtu - 3,
      rssi: this.env.bleRssi,
    };
  }

  protected finishIo(atDeadline: boolean): void {
    clearTimeout(this.pumpTimer);
    clearTimeout(this.endWaitTimer);
    const { socket, bucket, link } = this;
    if (this.isSender && atDeadline && bucket && link && !this.waitingForDrain) {
      bucket.refill(this.deadlineMs, false);
      while (bucket.tokens >= link.payload && this.writePacket());
    }
    this.stopAdvertising();
    if (socket && !socket.destroyed) {
      const endMs = atDeadline ? this.deadlineMs : this.env.clock();
      socket.end(this.isSender ? jsonFrame(FRAME.end, { ms: this.elapsedMs(endMs) }) : encodeFrame(FRAME.end));
      this.closeTimer = setTimeout(() => socket.destroy(), 1000);
      this.closeTimer.unref();
    }
  }

  protected teardown(): void {
    clearTimeout(this.pumpTimer);
    clearTimeout(this.endWaitTimer);
    clearTimeout(this.advertiseTimer);
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.closeTimer);
    this.candidate?.destroy();
    this.candidate = null;
    const socket = this.socket;
    if (socket && !socket.destroyed) {
      try {
        socket.resetAndDestroy();
      } catch {
        socket.destroy();
      }
    }
    this.stopAdvertising();
  }

  protected halt(): void {
    clearTimeout(this.pumpTimer);
    clearTimeout(this.endWaitTimer);
    clearTimeout(this.advertiseTimer);
    clearTimeout(this.handshakeTimer);
    this.socket?.pause();
  }

  private stopAdvertising(): void {
    this.server?.close();
    this.server = null;
    const port = this.registeredPort;
    this.registeredPort = null;
    if (port !== null) this.env.cleanup(unregisterPeripheral(this.env.airDir, this.env.bleAddress, port));
  }
}

/** The `ms` of a sender's END frame, if it has one. */
function senderMs(body: Buffer): number | undefined {
  const ms = body.length > 0 ? parseJsonBody(body)?.ms : undefined;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}
