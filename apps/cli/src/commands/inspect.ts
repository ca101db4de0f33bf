import type { Command } from 'commander';
import { descriptorLabels, readFirmwareImage, type FirmwareIdentity } from '@espbench/firmware';

export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description('identify a firmware file (app image .bin or .elf) from its ESP-IDF app descriptor')
    .argument('<image>', 'app image .bin or .elf')
    .option('--json', 'print the identity as JSON')
    .addHelpText(
      'after',
      `
The labels line is what a run of this firmware is labelled with.

Examples:
  espbench inspect target/riscv32imc-unknown-none-elf/release/embassy_wifi_bench
  espflash save-image --chip esp32c3 fw.elf fw.bin && espbench inspect fw.bin
  espbench inspect fw.bin --json | jq -r .appElfSha256`,
    )
    .action(async (image: string, flags: { json?: boolean }) => {
      const id = await readFirmwareImage(image);
      if (flags.json) {
        process.stdout.write(JSON.stringify(id, null, 2) + '\n');
        return;
      }
      process.stdout.write(render(id) + '\n');
    });
}

function render(id: FirmwareIdentity): string {
  const labels = Object.entries(descriptorLabels(id))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const chipNote = [id.chipId !== null ? `chip id ${id.chipId}` : null, id.arch, id.chip === null && id.kind === 'elf' ? 'the ELF does not name its chip' : null]
    .filter(Boolean)
    .join(', ');
  const rows: [string, string][] = [
    ['file', `${id.path} (${id.kind === 'elf' ? 'ELF' : 'app image'}, ${id.size} bytes)`],
    ['chip', `${id.chip ?? 'unknown'}${chipNote ? ` (${chipNote})` : ''}`],
    ['project', id.projectName || '-'],
    ['version', id.version || '-'],
    ['built', [id.buildDate, id.buildTime].filter(Boolean).join(' ') || '-'],
    ['esp-idf', id.idfVersion || '-'],
    ['secure version', String(id.secureVersion)],
    ['elf sha256', id.appElfSha256 ?? (id.kind === 'elf' ? '- (an ELF carries none; espflash writes the file sha256 into the image)' : '- (not set)')],
    ['file sha256', id.fileSha256],
    ['labels', labels || '-'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}
