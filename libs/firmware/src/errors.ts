export type FirmwareImageErrorCode =
  /** The path does not exist. */
  | 'not-found'
  /** The path is a directory or something else that is not a regular file. */
  | 'not-a-file'
  /** The file exists but could not be read (permissions, I/O). */
  | 'unreadable'
  /** Neither an ESP app image (0xE9) nor an ELF. */
  | 'bad-magic'
  /** The 256 bytes where the app descriptor belongs do not start with 0xABCD5432. */
  | 'bad-descriptor-magic'
  /** An ELF with no section holding the app descriptor. */
  | 'no-descriptor'
  /** The file ends before a structure it announces. */
  | 'truncated'
  /** An ELF that is not ELF32 little-endian, or whose headers contradict themselves. */
  | 'unsupported-elf';

/** A firmware file espbench cannot identify; the message is one line naming the file and what is wrong. */
export class FirmwareImageError extends Error {
  override readonly name = 'FirmwareImageError';
  constructor(
    readonly code: FirmwareImageErrorCode,
    message: string,
  ) {
    super(message);
  }
}
