import type {
  Admin,
  Consumer,
  ConsumerRunConfig,
  EachBatchPayload,
  KafkaMessage,
  Message,
  Producer,
} from "kafkajs";
import type { KafkaTrigger as KafkaTriggerSpec } from "../../src/graph/index.js";
import type { EventHandler } from "../../src/triggers/contract.js";
import { type KafkaLinks, KafkaTrigger } from "../../src/triggers/kafka/trigger.js";
import { memoryLogger } from "./graphs.js";

/** One write the trigger asked for: where, what, and the offsets its messages came from. */
export interface ScriptedSend {
  topic: string;
  messages: Message[];
}

/**
 * A Kafka trigger on scripted links: no broker, the test feeds it batches and sees, in order,
 * everything it does with them (`log`). Writes are answered when `release()` lets them (at
 * once unless `holdWrites()` was called, then one by one with `releaseNext()`); waits between attempts return at once and are
 * recorded, so a test reads the backoff the trigger asked for, not the time it took.
 */
export class ScriptedKafka {
  /** What the trigger did, in order: `send <topic> <n>`, `sent <topic>`, `resolve <offset>`, `commit`, `sleep <ms>`. */
  readonly log: string[] = [];
  readonly sends: ScriptedSend[] = [];
  readonly trigger: KafkaTrigger;
  /** What the trigger logged. */
  readonly logger = memoryLogger();
  /** Every event outcome the trigger counted, in order (`ok`, `retried`, `dead_lettered`...). */
  readonly outcomes: string[] = [];
  /** Whether the consumer is running: a test stops it mid-batch with `stop()`. */
  running = true;
  /** Called on every wait the trigger asks for (before it returns), e.g. to stop the consumer. */
  onSleep: (ms: number) => void = () => {};
  /** Every config the consumer was run with (a restart after a crash runs it again). */
  readonly runs: ConsumerRunConfig[] = [];
  /** What the trigger subscribed to. */
  readonly subscriptions: { topics: (string | RegExp)[]; fromBeginning?: boolean }[] = [];
  /** Errors the next subscribe() calls throw, in order. */
  subscribeFailures: unknown[] = [];
  /** Errors the next run() calls reject with, in order (a restart that cannot rejoin). */
  runFailures: unknown[] = [];
  /** Errors the next writes to the DLQ throw, in order. */
  dlqFailures: unknown[] = [];
  /** The output topic's max.message.bytes as the scripted admin describes it (none: not described). */
  maxMessageBytes: number | undefined;
  /** The connections the trigger made and let go of, in order: `consumer connect`, `admin disconnect`... */
  readonly calls: string[] = [];
  readonly #listeners = new Map<string, ((event: { payload: unknown }) => void)[]>();
  #config: ConsumerRunConfig | undefined;
  #held = false;
  #waiting: (() => void)[] = [];

  /** `counting: false`: a context without counters (the gateway's are optional). */
  constructor(spec: Partial<KafkaTriggerSpec> = {}, options: { counting?: boolean } = {}) {
    const consumer = {
      events: { CRASH: "consumer.crash", GROUP_JOIN: "consumer.group_join" },
      on: (event: string, listener: (event: { payload: unknown }) => void) => {
        this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
        return () => {};
      },
      connect: async () => {
        this.calls.push("consumer connect");
      },
      subscribe: async (subscription: { topics: (string | RegExp)[]; fromBeginning?: boolean }) => {
        if (this.subscribeFailures.length > 0) throw this.subscribeFailures.shift();
        this.subscriptions.push(subscription);
      },
      run: async (config: ConsumerRunConfig) => {
        if (this.runFailures.length > 0) throw this.runFailures.shift();
        this.runs.push(config);
        this.#config = config;
      },
      stop: async () => {
        this.running = false;
      },
      disconnect: async () => {
        this.calls.push("consumer disconnect");
      },
    };
    const producer = {
      connect: async () => {
        this.calls.push("producer connect");
      },
      disconnect: async () => {
        this.calls.push("producer disconnect");
      },
      send: async ({ topic, messages }: ScriptedSend) => {
        this.log.push(`send ${topic} ${messages.length}`);
        if (topic === spec.dlq?.topic && this.dlqFailures.length > 0) {
          this.log.push(`refused ${topic}`);
          throw this.dlqFailures.shift();
        }
        this.sends.push({ topic, messages });
        if (this.#held) await new Promise<void>((resolve) => this.#waiting.push(resolve));
        this.log.push(`sent ${topic}`);
        return [];
      },
    };
    const admin = {
      connect: async () => {
        this.calls.push("admin connect");
      },
      disconnect: async () => {
        this.calls.push("admin disconnect");
      },
      describeConfigs: async () => ({
        resources: [
          {
            configEntries:
              this.maxMessageBytes === undefined
                ? []
                : [{ configName: "max.message.bytes", configValue: String(this.maxMessageBytes) }],
          },
        ],
      }),
    };
    const links: KafkaLinks = {
      consumer: consumer as unknown as Consumer,
      producer: producer as unknown as Producer,
      admin: () => admin as unknown as Admin,
      sleep: async (ms: number) => {
        this.log.push(`sleep ${ms}`);
        this.onSleep(ms);
      },
    };
    this.trigger = new KafkaTrigger(
      { kind: "kafka", brokers: ["scripted:9092"], topics: ["in"], group: "g", ...spec } as KafkaTriggerSpec,
      options.counting === false
        ? { graph: "scripted", logger: this.logger }
        : {
            graph: "scripted",
            logger: this.logger,
            onEvent: (_name, outcome) => this.outcomes.push(outcome),
          },
      links,
    );
  }

  /** Tells the trigger's listeners of a consumer event (`consumer.crash`, `consumer.group_join`). */
  emit(event: "consumer.crash" | "consumer.group_join", payload: unknown = {}): void {
    for (const listener of this.#listeners.get(event) ?? []) listener({ payload });
  }

  /** Starts the trigger with `handler`, as the gateway does. */
  async start(handler: EventHandler): Promise<void> {
    await this.trigger.start(handler);
  }

  /** Writes wait for `release()` from now on. */
  holdWrites(): void {
    this.#held = true;
  }

  /** Answers the writes waiting so far, and every later one at once. */
  release(): void {
    this.#held = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }

  /** Answers the oldest write waiting; later ones still wait. */
  releaseNext(): void {
    this.#waiting.shift()?.();
  }

  /** How many writes are waiting for `release()`. */
  get writesWaiting(): number {
    return this.#waiting.length;
  }

  /** Hands one batch of JSON `values` (offsets from `firstOffset`) of partition 0 to the trigger. */
  batch(values: unknown[], firstOffset = 0): Promise<void> {
    const eachBatch = this.#config?.eachBatch;
    if (!eachBatch) throw new Error("start() the trigger before handing it a batch");
    const messages: KafkaMessage[] = values.map((value, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(JSON.stringify(value)),
      headers: {},
      timestamp: "1700000000000",
      attributes: 0,
      offset: String(firstOffset + i),
    }));
    const payload = {
      batch: {
        topic: "in",
        partition: 0,
        highWatermark: String(firstOffset + values.length),
        messages,
        isEmpty: () => messages.length === 0,
        firstOffset: () => messages[0]?.offset ?? null,
        lastOffset: () => messages.at(-1)?.offset ?? "-1",
        offsetLag: () => "0",
        offsetLagLow: () => "0",
      },
      resolveOffset: (offset: string) => {
        this.log.push(`resolve ${offset}`);
      },
      heartbeat: async () => {},
      pause: () => () => {},
      isRunning: () => this.running,
      isStale: () => false,
      uncommittedOffsets: () => ({ topics: [] }),
      commitOffsetsIfNecessary: async (offsets?: { topics: { partitions: { offset: string }[] }[] }) => {
        const at = offsets?.topics[0]?.partitions[0]?.offset;
        this.log.push(at === undefined ? "commit" : `commit ${at}`);
      },
    };
    return eachBatch(payload as unknown as EachBatchPayload);
  }

  /** The offsets resolved so far, in order. */
  get resolved(): string[] {
    return this.log.filter((l) => l.startsWith("resolve ")).map((l) => l.slice(8));
  }

  /** The waits the trigger asked for, in order (a long wait is asked for in slices). */
  get sleeps(): number[] {
    return this.log.filter((l) => l.startsWith("sleep ")).map((l) => Number(l.slice(6)));
  }
}

/** A header of a written message, as a string. */
export function headerOf(message: Message | undefined, name: string): string | undefined {
  const value = message?.headers?.[name];
  return value === undefined ? undefined : String(value);
}
