// The services the host network (10.0.2.2) offers by default, by TCP port.

import type { StreamService } from "../stream-service.js";
import { createChargenService } from "./chargen.js";
import { createDiscardService, type DiscardStats } from "./discard.js";
import { createEchoService } from "./echo.js";
import { createHttpService, type HttpServerOptions } from "./http-server.js";

export const ECHO_PORT = 7;
export const DISCARD_PORT = 9;
export const CHARGEN_PORT = 19;
export const HTTP_PORT = 80;

export interface StandardServiceOptions {
  http?: HttpServerOptions;
  /** Receives the discard service's totals (bytes dropped, connections). */
  discardStats?: DiscardStats;
}

export function createStandardServices(options: StandardServiceOptions = {}): Map<number, StreamService> {
  return new Map<number, StreamService>([
    [HTTP_PORT, createHttpService(options.http)],
    [ECHO_PORT, createEchoService()],
    [DISCARD_PORT, createDiscardService(options.discardStats)],
    [CHARGEN_PORT, createChargenService()],
  ]);
}
