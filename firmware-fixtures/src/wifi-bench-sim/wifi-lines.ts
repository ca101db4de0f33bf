import type { Variant } from './options.js';
import { randomInt, type Rng } from './rng.js';

/** One line of the app's start-up, printed `after` (a fraction of the boot time) the previous one. */
export interface ScriptedLine {
  after: number;
  text: string;
}

export const SIM_SSID = 'espbench-sim';

/**
 * Lines from the app's start to `Got IP`. The order follows the firmware's tasks: in the `legacy`
 * variant the connection task prints everything up to `Wifi connected!` while `main` waits for the link
 * and then for DHCP; in `current` main starts the controller before it spawns the connection task.
 */
export function wifiStartupScript(variant: Variant, ip: string, rng: Rng): ScriptedLine[] {
  const gotIp = `Got IP: ${ip}/24`;
  if (variant === 'legacy') {
    return [
      { after: 0.05, text: 'start connection task' },
      // `controller.capabilities()` returns a Result, so the EnumSet Debug is wrapped in `Ok(...)`.
      { after: 0, text: 'Device capabilities: Ok(EnumSet(Station | AccessPoint | AccessPointStation))' },
      { after: 0, text: 'Starting wifi' },
      { after: 0.15, text: 'Wifi started!' },
      { after: 0, text: 'About to connect...' },
      { after: 0.4, text: 'Wifi connected!' },
      { after: 0.1, text: 'Waiting to get IP address...' },
      { after: 0.3, text: gotIp },
    ];
  }
  const bssid = Array.from({ length: 6 }, () => randomInt(rng, 0, 255));
  bssid[0] = (bssid[0] ?? 0) & 0xfe;
  const info = `ConnectedInfo { ssid: "${SIM_SSID}", bssid: [${bssid.join(', ')}], channel: 6, authmode: Wpa2Personal, aid: 1 }`;
  return [
    { after: 0.05, text: 'Starting wifi' },
    { after: 0.15, text: 'Wifi configured and started!' },
    { after: 0, text: 'start connection task' },
    { after: 0, text: 'About to connect...' },
    { after: 0.4, text: `Wifi connected to ${info}` },
    { after: 0.4, text: gotIp },
  ];
}
