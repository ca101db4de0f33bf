export * from './errors.js';
export * from './image.js';
export {
  CHIP_IDS,
  DESCRIPTOR_FIELDS,
  DESCRIPTOR_MAGIC,
  DESCRIPTOR_OFFSET_IN_IMAGE,
  DESCRIPTOR_SIZE,
  IMAGE_MAGIC,
  archOfChip,
  type Arch,
} from './layout.js';
