import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { freePort } from "./free-port.js";
import { onPath, runOrFail, type Service, startService, TestBedError, waitUntilReady } from "./process.js";

const infraDir = dirname(fileURLToPath(import.meta.url));
const pom = join(infraDir, "pom.xml");
const libsDir = join(infraDir, ".kafka", "libs");

/**
 * A single-node broker. `stop()` takes it down (SIGTERM, as an operator would) and `start()`
 * brings it back with the same config, ports and data directory, so topics, committed offsets
 * and groups survive: what an outage looks like to clients.
 */
export interface RunningKafka {
  readonly brokers: string[];
  /** The running process (the latest one after a restart). */
  readonly service: Service;
  readonly dataDir: string;
  readonly running: boolean;
  stop(): Promise<void>;
  /** Starts the stopped broker again and waits until it serves groups. */
  start(): Promise<void>;
}

function kafkaVersion(): string {
  const match = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readFileSync(pom, "utf8"));
  if (!match?.[1]) throw new TestBedError("kafka", `no <kafka.version> in ${pom}`);
  return match[1];
}

/** Brings the broker's jars from Maven Central into test/infra/.kafka/libs once; later runs reuse them. */
export function ensureKafkaJars(): void {
  if (existsSync(join(libsDir, `kafka_2.13-${kafkaVersion()}.jar`))) return;
  for (const tool of ["java", "mvn"]) {
    if (!onPath(tool))
      throw new TestBedError("kafka", `${tool} is not on PATH (Java 17 and Maven are needed)`);
  }
  runOrFail(
    "kafka",
    "mvn",
    ["-q", "-B", "-f", pom, "dependency:copy-dependencies"],
    "fetching the Kafka jars with Maven",
  );
}

/** Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding. */
function clusterId(): string {
  // An id starting with "-" would read as an option to StorageTool's argument parser.
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    `log.dirs=${dataDir}`,
    "num.partitions=1",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=6",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    // Tests join groups constantly; the default 3 s delay would only slow them down.
    "group.initial.rebalance.delay.ms=0",
    "auto.create.topics.enable=true",
    "",
  ].join("\n");
}

/** Formats a fresh KRaft storage directory and starts a single-node broker on free loopback ports. */
export async function startKafka(workDir: string): Promise<RunningKafka> {
  ensureKafkaJars();
  const [port, controllerPort] = [await freePort(), await freePort()];
  const dataDir = join(workDir, "kafka-data");
  await mkdir(dataDir, { recursive: true });
  const config = join(workDir, "server.properties");
  await writeFile(config, serverProperties(port, controllerPort, dataDir));

  const classpath = join(libsDir, "*");
  const jvm = [
    "-Xms256m",
    "-Xmx768m",
    "-XX:+UseG1GC",
    `-Dlog4j2.configurationFile=${join(infraDir, "log4j2.properties")}`,
  ];
  runOrFail(
    "kafka",
    "java",
    [...jvm, "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", clusterId(), "-c", config],
    "formatting the KRaft storage (kafka.tools.StorageTool)",
  );
  const brokers = [`127.0.0.1:${port}`];
  const launch = async (): Promise<Service> => {
    const service = startService(
      "kafka",
      "java",
      [...jvm, "-cp", classpath, "kafka.Kafka", config],
      join(workDir, "kafka.log"),
    );
    await waitUntilReady(service, () => acceptsMetadataRequests(brokers), 60_000);
    await waitUntilReady(service, () => hasGroupCoordinator(brokers), 30_000);
    return service;
  };
  let service = await launch();
  let running = true;
  return {
    brokers,
    dataDir,
    get service() {
      return service;
    },
    get running() {
      return running;
    },
    async stop() {
      running = false;
      await service.stop();
    },
    async start() {
      if (running) return;
      service = await launch();
      running = true;
    },
  };
}

async function acceptsMetadataRequests(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } finally {
    await admin.disconnect();
  }
}

/** The first group join creates __consumer_offsets; doing it here keeps that wait out of the tests. */
async function hasGroupCoordinator(brokers: string[]): Promise<boolean> {
  // kafkajs needs its own retries here: with none, describeGroups fails before metadata arrives.
  const retry = { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 };
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING, retry }).admin();
  try {
    await admin.connect();
    await admin.describeGroups(["sluice-test-bed-warm-up"]);
    return true;
  } finally {
    await admin.disconnect();
  }
}
