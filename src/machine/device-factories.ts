// How each device type of a machine description becomes a device: the one table that
// knows device types. Whatever builds a machine looks a type up here and never checks
// which device it holds; a device with a role the machine needs (the console the
// terminal talks to) says so in what its factory returns.
import type { Disk } from "../backends/disk.js";
import type { DeviceDescription, DeviceOf, DeviceType } from "../description/machine-description.js";
import { VirtioConsole, type ConsoleSink, type ConsoleStats } from "../devices/virtio-console.js";
import { VirtioRng, type RngStats } from "../devices/virtio-rng.js";
import { VirtioBlk, type BlkStats } from "../devices/virtio-blk.js";
import { VirtioNet, type NetStats } from "../devices/virtio-net.js";
import { VirtioBalloon, type BalloonStats } from "../devices/virtio-balloon.js";
import { Virtio9p, type NinepService, type NinepStats } from "../devices/virtio-9p.js";
import type { GuestMemory } from "../memory/guest-memory.js";
import type { PollSource } from "../virtio/poll-source.js";
import type { VirtioDevice } from "../virtio/virtio-device.js";
import type { NetworkChoice } from "./network-choice.js";

/** Each device type's live figures. */
export interface DeviceStatsByType {
  "virtio-console": ConsoleStats;
  "virtio-rng": RngStats;
  "virtio-blk": BlkStats;
  "virtio-net": NetStats;
  "virtio-9p": NinepStats;
  "virtio-balloon": BalloonStats;
}

/** The console role: what the machine's terminal talks to. */
export interface ConsolePort {
  input(bytes: Uint8Array): void;
  resize(cols: number, rows: number): void;
  outputReady(): void;
  stats(): ConsoleStats;
}

/** The balloon role: what the Machine panel and the CLI set the target through. */
export interface BalloonControl {
  setTarget(bytes: number): void;
  readonly targetBytes: number;
  /** Asks the guest for fresh memory statistics now. */
  requestStats(): void;
  stats(): BalloonStats;
}

/** What a factory gets besides the description. */
export interface FactoryEnv {
  ticks: PollSource;
  /** Guest RAM (the balloon zeroes the pages the guest gives up). */
  memory: GuestMemory;
  /** Where the first console writes (flow-controlled, to the machine's hooks); others get a sink of their own. */
  consoleSink(): ConsoleSink;
  /** The device's disk, resolved by the environment (Node: a file or memory; the page: OPFS or memory). */
  disk(): Disk;
  /** The card's network and its MAC, resolved likewise. */
  network(): { choice: NetworkChoice; mac: string };
  /** The shared folder's 9P server, over the backend the environment resolved (a directory, the browser's storage, memory). */
  share(): NinepService;
}

export interface MadeDevice<T extends DeviceType> {
  device: VirtioDevice;
  stats(): DeviceStatsByType[T];
  console?: ConsolePort;
  balloon?: BalloonControl;
}

type Factory<T extends DeviceType> = (d: DeviceOf<T>, env: FactoryEnv) => MadeDevice<T>;

/** Queue sizes from the description, each defaulting to 256. */
function queueSizes(d: DeviceDescription, count: number): number[] {
  return Array.from({ length: count }, (_, i) => d.queues?.[i]?.size ?? 256);
}

const FACTORIES: { [T in DeviceType]: Factory<T> } = {
  "virtio-console": (d, env) => {
    const [rx, tx] = queueSizes(d, 2) as [number, number];
    const console = new VirtioConsole(env.consoleSink(), [rx, tx], env.ticks);
    return { device: console, stats: () => console.stats(), console };
  },
  "virtio-rng": (d) => {
    const rng = new VirtioRng(undefined, queueSizes(d, 1)[0]);
    return { device: rng, stats: () => rng.stats() };
  },
  "virtio-blk": (d, env) => {
    const blk = new VirtioBlk(env.disk(), { queueMaxSize: queueSizes(d, 1)[0]! });
    return { device: blk, stats: () => blk.stats() };
  },
  "virtio-net": (d, env) => {
    const { choice, mac } = env.network();
    const net = new VirtioNet({
      backend: choice.backend, poll: env.ticks, mac, notificationPolicy: d.options.policy, queueSizes: queueSizes(d, 3),
    });
    return { device: net, stats: () => net.stats() };
  },
  "virtio-9p": (d, env) => {
    const ninep = new Virtio9p(env.share(), d.options.tag, env.ticks, d.queues?.[0]?.size ?? 128);
    return { device: ninep, stats: () => ninep.stats() };
  },
  "virtio-balloon": (d, env) => {
    const balloon = new VirtioBalloon(env.memory, env.ticks, { queueSizes: queueSizes(d, 4) });
    balloon.setTarget(d.options.targetMiB * 1024 * 1024);
    return { device: balloon, stats: () => balloon.stats(), balloon };
  },
};

/** Makes the device `d` describes. */
export function makeDevice<T extends DeviceType>(d: DeviceOf<T>, env: FactoryEnv): MadeDevice<T> {
  const factory = FACTORIES[d.type as T] as Factory<T>;
  return factory(d, env);
}
