/** USB serial adapters found on ESP32 boards, by VID:PID (lower-case hex). */
export const ADAPTERS: Record<string, string> = {
  '303a:1001': 'Espressif USB-Serial-JTAG (ESP32-C3/C5/C6/H2/S3 built-in)',
  '10c4:ea60': 'Silicon Labs CP210x UART bridge',
  '1a86:7523': 'WCH CH340 UART bridge',
  '1a86:55d4': 'WCH CH9102 UART bridge',
  '0403:6001': 'FTDI FT232R UART bridge',
  '0403:6010': 'FTDI FT2232 dual UART/JTAG (ESP-Prog, ESP32-WROVER-KIT)',
  '0403:6014': 'FTDI FT232H UART bridge',
};

export interface SerialPortInfo {
  path: string;
  vidPid: string | null;
  serialNumber: string | null;
  manufacturer: string | null;
  adapter: string | null;
}

export function adapterFor(vendorId?: string, productId?: string): { vidPid: string | null; adapter: string | null } {
  if (!vendorId || !productId) return { vidPid: null, adapter: null };
  const vidPid = `${vendorId.toLowerCase().padStart(4, '0')}:${productId.toLowerCase().padStart(4, '0')}`;
  return { vidPid, adapter: ADAPTERS[vidPid] ?? null };
}
