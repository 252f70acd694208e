import {
  Kafka,
  type KafkaConfig,
  logLevel,
  Partitioners,
  type Producer,
  type ProducerConfig,
  type SASLOptions,
} from "kafkajs";
import type { Logger } from "../../graph/index.js";

/** The connection settings a Kafka trigger or queue step may carry (passed to kafkajs as they are). */
export interface KafkaConnection {
  brokers: string[];
  clientId?: string;
  /** `{mechanism: plain | scram-sha-256 | scram-sha-512, username, password}` */
  sasl?: SASLOptions;
  /** `true`, or Node TLS options (ca, cert, key, rejectUnauthorized...). */
  ssl?: KafkaConfig["ssl"];
}

/** kafkajs logs through sluice's logger, at warn and above. */
function logCreator(logger: Logger) {
  return () =>
    ({ level, log }: { level: logLevel; log: { message: string } & Record<string, unknown> }) => {
      const { message, ...rest } = log;
      if (level <= logLevel.ERROR) logger.error({ kafka: rest }, message);
      else if (level === logLevel.WARN) logger.warn({ kafka: rest }, message);
    };
}

/**
 * The kafkajs settings for a connection: its brokers, client id, SASL and TLS options as they
 * are, with sluice's logging and retries.
 */
export function kafkaConfig(connection: KafkaConnection, clientId: string, logger: Logger): KafkaConfig {
  return {
    clientId: connection.clientId ?? clientId,
    brokers: connection.brokers,
    ...(connection.sasl ? { sasl: connection.sasl } : {}),
    ...(connection.ssl !== undefined ? { ssl: connection.ssl } : {}),
    logLevel: logLevel.WARN,
    logCreator: logCreator(logger),
    // Reconnect patiently: a broker outage should pause the stream, not end the process.
    retry: { retries: 20, initialRetryTime: 200, maxRetryTime: 5_000 },
  };
}

export function kafkaClient(connection: KafkaConnection, clientId: string, logger: Logger): Kafka {
  return new Kafka(kafkaConfig(connection, clientId, logger));
}

/**
 * A producer that partitions keys as Kafka's Java client does (murmur2), which is kafkajs v2's
 * default: named here so kafkajs does not warn, at start, that its default changed in v2.
 */
export function kafkaProducer(
  kafka: Kafka,
  config: Omit<ProducerConfig, "createPartitioner"> = {},
): Producer {
  return kafka.producer({ ...config, createPartitioner: Partitioners.DefaultPartitioner });
}
