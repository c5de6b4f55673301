import { describe, expect, it } from "vitest";
import { parseArgs, USAGE, UsageError } from "../../src/cli/args.js";
import { DEFAULT_OPTIONS } from "../../src/machine/options.js";

describe("CLI arguments", () => {
  it("keeps --exec commands in order and takes the defaults otherwise", () => {
    const args = parseArgs(["--exec", "uname -a", "--exec=cat /proc/cpuinfo"]);
    expect(args.exec).toEqual(["uname -a", "cat /proc/cpuinfo"]);
    expect(args.memoryMiB).toBe(DEFAULT_OPTIONS.memoryMiB);
    expect(args.cmdline).toBe(DEFAULT_OPTIONS.cmdline);
    expect(args.timeoutSec).toBe(60);
    expect(args.help).toBe(false);
  });

  it("reads the disk options", () => {
    expect(parseArgs(["--disk", "d.img", "--disk-size", "64", "--disk-ro"])).toMatchObject({ disks: ["d.img"], diskSizeMiB: 64, diskReadOnly: true });
  });

  it("has a network card on the host network by default, and reads --net and --policy", () => {
    expect(parseArgs([])).toMatchObject({ net: { kind: "host" }, policy: "shared" });
    expect(parseArgs(["--net", "none"])).toMatchObject({ net: "none" });
    expect(parseArgs(["--net", "user,hostfwd=tcp::5555-:22,hostfwd=tcp:127.0.0.1:8080-:80"]).net).toEqual({
      kind: "user", hostfwd: [{ protocol: "tcp", hostPort: 5555, guestPort: 22 }, { protocol: "tcp", hostPort: 8080, guestPort: 80 }],
    });
    expect(parseArgs(["--net", "user"]).net).toEqual({ kind: "user" });
    expect(parseArgs(["--net=wisp=ws://127.0.0.1:6001/"]).net).toEqual({ kind: "wisp", url: "ws://127.0.0.1:6001/" });
    expect(parseArgs(["--policy=per-queue"])).toMatchObject({ net: { kind: "host" }, policy: "per-queue" });
  });

  it("reads --mem, --cmdline, --timeout and --help", () => {
    const args = parseArgs(["--mem", "512", "--cmdline", "console=ttyS0 x=1", "--timeout", "2.5", "--help"]);
    expect(args).toMatchObject({ memoryMiB: 512, cmdline: "console=ttyS0 x=1", timeoutSec: 2.5, help: true });
  });

  it("takes --pcap FILE", () => {
    expect(parseArgs(["--pcap", "out.pcapng"]).pcap).toBe("out.pcapng");
    expect(parseArgs(["--pcap=x.pcapng"]).pcap).toBe("x.pcapng");
    expect(parseArgs([]).pcap).toBeUndefined();
  });

  it("takes --trace FILE, and --help says what it writes", () => {
    expect(parseArgs(["--trace", "rings.json"]).trace).toBe("rings.json");
    expect(parseArgs([]).trace).toBeUndefined();
    expect(() => parseArgs(["--trace"])).toThrow(/--trace needs a value/);
    expect(USAGE).toMatch(/--trace FILE +record every virtqueue event from boot on/);
  });

  it.each([
    [["--bogus"], /unknown option "--bogus"/],
    [["--exec"], /--exec needs a value/],
    [["--mem", "lots"], /--mem must be a whole number/],
    [["--mem", "64"], /from 128 to 2048/],
    [["--mem", "256.5"], /whole number/],
    [["--timeout", "0"], /--timeout needs a positive number/],
    [["--timeout", ""], /positive number/],
    [["uname"], /unknown option "uname"/],
    [["--disk-ro"], /--disk-size and --disk-ro need --disk PATH/],
    [["--disk", "x.img", "--disk-size", "0"], /--disk-size must be a whole number of MiB/],
    [["--net", "wifi"], /--net must be "host", "user\[,hostfwd=tcp::HOSTPORT-:GUESTPORT\]", "wisp=ws:\/\/\.\.\." or "none", got "wifi"/],
    [["--net", "user,hostfwd=udp::53-:53"], /--net user: hostfwd must be tcp::HOSTPORT-:GUESTPORT \(e\.g\. tcp::5555-:22\), not "udp::53-:53"/],
    [["--net", "user,hostfwd=tcp::5555-:22,hostfwd=tcp::5555-:80"], /--net user: host port 5555 is forwarded twice/],
    [["--net", "wisp=http://example.com/"], /--net wisp=URL: wisp: "http:\/\/example.com\/" is not a WebSocket URL: it must start with ws:\/\/ or wss:\/\//],
    [["--policy", "lazy"], /--policy must be "shared" or "per-queue"/],
    [["--net", "none", "--policy", "shared"], /--policy needs a network card/],
    [["--pcap"], /--pcap needs a value/],
  ])("rejects %j with a message", (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
