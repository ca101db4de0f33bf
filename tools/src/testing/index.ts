export * from './pty.js';
export * from './require-command.js';
export * from './influxd.js';
export * from './mosquitto.js';
