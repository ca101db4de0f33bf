const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
// smoltcp 0.11's derived Debug for Ipv4Address, printed by 2024-era firmware: `Address([192, 168, 2, 1])`.
const SMOLTCP_DEBUG = /^Address\(\[(\d{1,3}), (\d{1,3}), (\d{1,3}), (\d{1,3})\]\)$/;

/**
 * The dotted IPv4 address in a `connecting to <host>:<port>...` host, which the firmware prints with
 * `{:?}`: `192.168.1.2` for core::net::Ipv4Addr, `Address([192, 168, 1, 2])` for smoltcp 0.11.
 * Returns null when the text is neither.
 */
export function ipv4FromHost(host: string): string | null {
  const m = DOTTED.exec(host) ?? SMOLTCP_DEBUG.exec(host);
  if (!m) return null;
  const octets = m.slice(1, 5).map(Number);
  return octets.every((o) => o <= 255) ? octets.join('.') : null;
}
