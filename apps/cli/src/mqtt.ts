import type { Command } from 'commander';
import { mqttSettingsFromEnv } from '@espbench/mqtt';
import { UsageError } from './errors.js';

export interface MqttFlags {
  mqtt?: string;
  mqttUser?: string;
  mqttPassword?: string;
  mqttCa?: string;
  mqttCert?: string;
  mqttKey?: string;
}

export interface MqttSettings {
  url: string;
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

export function addMqttOptions(cmd: Command): Command {
  return cmd
    .option('--mqtt <url>', 'MQTT 5 broker, e.g. mqtt://broker.lab:1883 or mqtts://broker.lab:8883 (or $ESPBENCH_MQTT_URL)')
    .option('--mqtt-user <name>', 'broker user name (or $ESPBENCH_MQTT_USER)')
    .option('--mqtt-password <pw>', 'broker password; prefer $ESPBENCH_MQTT_PASSWORD, which stays out of shell history')
    .option('--mqtt-ca <file>', 'PEM file of the CA that signed the broker certificate (or $ESPBENCH_MQTT_CA)')
    .option('--mqtt-cert <file>', 'client certificate PEM file, for brokers that require one (or $ESPBENCH_MQTT_CERT)')
    .option('--mqtt-key <file>', 'client key PEM file (or $ESPBENCH_MQTT_KEY)');
}

/** Flags over $ESPBENCH_MQTT_*; a missing URL is a usage error naming both ways to give it. */
export function mqttSettings(flags: MqttFlags): MqttSettings {
  const env = mqttSettingsFromEnv();
  const url = flags.mqtt ?? env.url;
  if (!url) throw new UsageError('no MQTT broker: give --mqtt <url> (e.g. mqtt://localhost:1883) or set ESPBENCH_MQTT_URL');
  const pick = <T>(flag: T | undefined, fromEnv: T | undefined) => flag ?? fromEnv;
  const out: MqttSettings = { url };
  const username = pick(flags.mqttUser, env.username);
  const password = pick(flags.mqttPassword, env.password);
  const ca = pick(flags.mqttCa, env.ca);
  const cert = pick(flags.mqttCert, env.cert);
  const key = pick(flags.mqttKey, env.key);
  if (username !== undefined) out.username = username;
  if (password !== undefined) out.password = password;
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  if ((cert === undefined) !== (key === undefined)) throw new UsageError('--mqtt-cert and --mqtt-key go together: give both or neither');
  return out;
}
