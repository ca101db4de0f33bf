export * from './errors.js';
export * from './find.js';
export * from './image.js';
export * from './output.js';
export * from './flash.js';
export * from './boards.js';
