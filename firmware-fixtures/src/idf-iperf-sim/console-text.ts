import { bootloaderLines } from '../wifi-bench-sim/banner.js';
import type { ChipName } from '../wifi-bench-sim/chips.js';
import type { ReportGeneration } from './options.js';

/** The ESP-IDF release each generation's firmware is modelled on (illustrative). */
export const IDF_VERSION: Record<ReportGeneration, string> = { 1: 'v4.4.7', 2: 'v5.3.1', 3: 'v5.5.1' };

/** The REPL prompt: examples/wifi/iperf sets `repl_config.prompt = "iperf>"`; esp_console appends a space. */
export const PROMPT = 'iperf> ';

/** Second-stage bootloader lines, with the generation's IDF version. */
export function bootloader(chip: ChipName, gen: ReportGeneration): string[] {
  return bootloaderLines(chip).map((line) => line.replace(/ESP-IDF v[\d.]+/, `ESP-IDF ${IDF_VERSION[gen]}`));
}

/** App start-up log (cpu_start, app_init, heap_init, main_task), as `[ms, tag, message]`. Illustrative values. */
export function appStartLines(chip: ChipName, gen: ReportGeneration): Array<[number, string, string]> {
  const dual = chip === 'esp32' || chip === 'esp32s3';
  const v4 = gen === 1;
  const info = v4 ? 'cpu_start' : 'app_init';
  const lines: Array<[number, string, string]> = [];
  if (dual) lines.push([130, 'cpu_start', 'Multicore app']);
  else if (!v4) lines.push([130, 'cpu_start', 'Unicore app']);
  if (dual) lines.push([141, 'cpu_start', 'Pro cpu up.'], [142, 'cpu_start', 'Starting app cpu, entry point is 0x40375c68'], [143, 'cpu_start', 'App cpu up.']);
  lines.push([150, 'cpu_start', 'Pro cpu start user code']);
  lines.push([151, 'cpu_start', `cpu freq: 160000000${v4 ? '' : ' Hz'}`]);
  lines.push(
    [152, info, 'Application information:'],
    [155, info, 'Project name:     iperf'],
    [159, info, `App version:      ${IDF_VERSION[gen]}`],
    [164, info, 'Compile time:     Oct  1 2025 12:00:00'],
    [169, info, 'ELF file SHA256:  4f6c2a1d9e3b7c05...'],
    [174, info, `ESP-IDF:          ${IDF_VERSION[gen]}`],
    [179, 'heap_init', 'Initializing. RAM available for dynamic allocation:'],
    [186, 'heap_init', 'At 3FC9A1E0 len 00045E20 (279 KiB): RAM'],
    [192, 'spi_flash', 'detected chip: generic'],
    [196, 'spi_flash', 'flash io: dio'],
  );
  if (!v4) lines.push([205, 'main_task', 'Started on CPU0'], [210, 'main_task', 'Calling app_main()']);
  lines.push([300, 'phy_init', 'phy_version 1180,01f2a49,Jun  4 2024,16:34:27']);
  return lines;
}

/** The example's banner box (iperf_example_main.c / iperf-cmd apps/iperf), then the REPL greeting. */
export const APP_BANNER = [
  '',
  ' ==================================================',
  ' |       Steps to test WiFi throughput            |',
  ' |                                                |',
  " |  1. Print 'help' to gain overview of commands  |",
  ' |  2. Configure device to station or soft-AP     |',
  ' |  3. Setup WiFi connection                      |',
  ' |  4. Run iperf to test UDP/TCP RX/TX throughput |',
  ' |                                                |',
  ' =================================================',
  '',
];

/** esp_console_repl_task's greeting and, on a dumb terminal (no answer to the ESC[5n probe), the notice. */
export const REPL_GREETING = [
  '',
  "Type 'help' to get the list of commands.",
  'Use UP/DOWN arrows to navigate through command history.',
  'Press TAB when typing command name to auto-complete.',
  '',
  'Your terminal application does not support escape sequences.',
  '',
  'Line editing and history features are disabled.',
  '',
  'On Windows, try using Windows Terminal or Putty instead.',
];

export const HELP_TEXT: Record<ReportGeneration, string[]> = {
  1: [
    'help ',
    '  Print the list of registered commands',
    '',
    'free ',
    '  Get the current size of free heap memory',
    '',
    'heap ',
    '  Get minimum size of free heap memory that was available during program execution',
    '',
    'restart ',
    '  Software reset of the chip',
    '',
    'sta  <ssid> [<pass>]',
    '  WiFi is station mode, join specified soft-AP',
    '',
    'scan  [<ssid>]',
    '  WiFi is station mode, start scan ap',
    '',
    'query ',
    '  query WiFi info',
    '',
    'iperf  [-suVa] [-c <ip>] [-p <port>] [-l <length>] [-i <interval>] [-t <time>]',
    '  iperf command',
    '',
  ],
  2: [
    'help ',
    '  Print the list of registered commands',
    '',
    'iperf  [-suV] [-c <host>] [-p <port>] [-l <length>] [-i <interval>] [-t <time>] [-b <bandwidth>] [-f <format>] [--abort]',
    '  iperf command to measure network performance, through TCP or UDP connections.',
    '',
    'sta_connect  <ssid> [<pass>] [-n <channel>]',
    '  WiFi is station mode, join specified soft-AP',
    '',
    'sta_disconnect ',
    '  WiFi is station mode, stop wifi connect.',
    '',
    'sta_scan  [<ssid>] [-n <channel>]',
    '  WiFi is station mode, Scan APs',
    '',
  ],
  3: [
    'help ',
    '  Print the list of registered commands',
    '',
    'iperf  [-suV] [--help] [-c <host>] [-p <port>] [-B <host>] [--cport=<port>] [-l <length>] [-i <interval>] [-t <time>] [-b <bandwidth>] [-f <format>] [--id=<id>] [--abort]',
    '  iperf command to measure network performance, through TCP or UDP connections.',
    '',
    'sta_connect  <ssid> [<pass>] [-n <channel>]',
    '  WiFi is station mode, join specified soft-AP',
    '',
    'sta_disconnect ',
    '  WiFi is station mode, stop wifi connect.',
    '',
    'sta_scan  [<ssid>] [-n <channel>]',
    '  WiFi is station mode, Scan APs',
    '',
  ],
};
