import { endianness } from 'node:os';

/** `::ffff:127.0.0.2` -> `127.0.0.2`; other addresses unchanged. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return '';
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

function ipv4Bytes(address: string): number[] | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b <= 255) ? bytes : null;
}

function ipv6Bytes(address: string): number[] | null {
  let text = address.replace(/%.*$/, '');
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    const b = ipv4Bytes(last);
    if (!b) return null;
    tail = b;
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const words = (s: string | undefined) => (s ? s.split(':').filter((w) => w !== '') : []);
  const head = words(halves[0]);
  const rest = words(halves[1]);
  const groups = 8 - tail.length / 2;
  const fill = halves.length === 2 ? groups - head.length - rest.length : 0;
  if (fill < 0 || head.length + fill + rest.length !== groups) return null;
  const all = [...head, ...Array<string>(fill).fill('0'), ...rest];
  const out: number[] = [];
  for (const w of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(w)) return null;
    const v = parseInt(w, 16);
    out.push(v >> 8, v & 0xff);
  }
  return [...out, ...tail];
}

/** Bytes printed the way /proc/net/tcp{,6} prints them: 32-bit words in host byte order, %08X. */
function procHex(bytes: number[]): string {
  const little = endianness() === 'LE';
  let s = '';
  for (let i = 0; i < bytes.length; i += 4) {
    const word = bytes.slice(i, i + 4);
    if (little) word.reverse();
    s += word.map((b) => b.toString(16).padStart(2, '0')).join('');
  }
  return s.toUpperCase();
}

function procPort(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

export interface ProcKey {
  /** `LOCAL:PORT REMOTE:PORT` exactly as in the socket's /proc/net line. */
  key: string;
  file: 'tcp' | 'tcp6';
}

/**
 * Where a connected socket appears in /proc/net: IPv4 sockets in `tcp`, IPv6 ones (including
 * IPv4-mapped peers of a dual-stack listener) in `tcp6`. Null for addresses it cannot encode.
 */
export function procKey(localAddress: string, localPort: number, remoteAddress: string, remotePort: number): ProcKey | null {
  const v6 = localAddress.includes(':');
  const parse = v6 ? ipv6Bytes : ipv4Bytes;
  const local = parse(localAddress);
  const remote = parse(remoteAddress.includes(':') === v6 ? remoteAddress : v6 ? `::ffff:${remoteAddress}` : remoteAddress);
  if (!local || !remote) return null;
  return {
    key: `${procHex(local)}:${procPort(localPort)} ${procHex(remote)}:${procPort(remotePort)}`,
    file: v6 ? 'tcp6' : 'tcp',
  };
}
