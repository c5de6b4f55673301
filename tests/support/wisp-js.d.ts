// The part of @mercuryworkshop/wisp-js's server (an untyped JavaScript package) that the
// tests use to run a real wisp server.
declare module "@mercuryworkshop/wisp-js/server" {
  import type { IncomingMessage } from "node:http";
  import type { Duplex } from "node:stream";

  export namespace server {
    function routeRequest(request: IncomingMessage, socket: Duplex, head: Buffer): void;
    const options: {
      allow_loopback_ips: boolean;
      allow_private_ips: boolean;
      allow_direct_ip: boolean;
      wisp_version: 1 | 2;
      wisp_motd: string | null;
      dns_method: "lookup" | "resolve" | ((hostname: string) => Promise<string>);
    };
  }
  export namespace logging {
    const NONE: number;
    function set_level(level: number): void;
  }
}
